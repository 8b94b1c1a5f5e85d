//! Plain-text rendering of [`Table`] as pandas prints frames and series. One implementation,
//! `frame::format::render`, serves `tessera run`, the workbench and `to_text`: two had drifted apart
//! (a series' index padded to its name's width, numeric headers one space short).

use super::object::Table;

/// Render `t` as `tessera run` prints it. Lines carry no trailing spaces; no final newline.
pub fn render_table(t: &Table) -> String {
    crate::frame::format::render(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn frame_matches_pandas() {
        // pandas: pd.DataFrame({'a':[1,22],'name':['x','yyy']})
        let t = Table {
            index_name: None,
            columns: s(&["a", "name"]),
            index: s(&["0", "1"]),
            rows: vec![s(&["1", "x"]), s(&["22", "yyy"])],
            footer: None,
        };
        assert_eq!(render_table(&t), "    a name\n0   1    x\n1  22  yyy");
    }

    #[test]
    fn negative_numbers_and_long_index() {
        // pandas: pd.DataFrame({'a':[-1,22]}, index=['long_label','b'])
        let t = Table {
            index_name: None,
            columns: s(&["a"]),
            index: s(&["long_label", "b"]),
            rows: vec![s(&["-1"]), s(&["22"])],
            footer: Some("[2 rows x 1 columns]".into()),
        };
        assert_eq!(
            render_table(&t),
            "             a\nlong_label  -1\nb           22\n\n[2 rows x 1 columns]"
        );
    }

    #[test]
    fn index_name_gets_its_own_row() {
        let t = Table {
            index_name: Some("idx".into()),
            columns: s(&["a", "b"]),
            index: s(&["0", "1"]),
            rows: vec![s(&["1", "x"]), s(&["2", "y"])],
            footer: None,
        };
        assert_eq!(render_table(&t), "     a  b\nidx\n0    1  x\n1    2  y");
    }

    #[test]
    fn series_as_pandas() {
        // pandas: pd.Series([1.0, 22.5], name='x')
        let t = Table {
            index_name: None,
            columns: s(&[""]),
            index: s(&["0", "1"]),
            rows: vec![s(&["1.0"]), s(&["22.5"])],
            footer: Some("Name: x, dtype: float64".into()),
        };
        assert_eq!(
            render_table(&t),
            "0     1.0\n1    22.5\nName: x, dtype: float64"
        );
    }

    #[test]
    fn a_series_index_is_as_wide_as_its_labels_not_its_name() {
        // pandas: a groupby result, index named "Product code".
        let t = Table {
            index_name: Some("Product code".into()),
            columns: s(&[""]),
            index: s(&["IDCJAC0009"]),
            rows: vec![s(&["158.6"])],
            footer: Some("Name: rain, dtype: float64".into()),
        };
        assert_eq!(
            render_table(&t),
            "Product code\nIDCJAC0009    158.6\nName: rain, dtype: float64"
        );
    }

    #[test]
    fn numeric_headers_wider_than_their_cells_get_pandas_leading_space() {
        // pandas: pd.DataFrame({'Year': [1953], 'Q': ['Y']})
        let t = Table {
            index_name: None,
            columns: s(&["Year", "Q"]),
            index: s(&["0"]),
            rows: vec![s(&["1953", "Y"])],
            footer: None,
        };
        assert_eq!(render_table(&t), "   Year  Q\n0  1953  Y");
    }

    #[test]
    fn empty_table_shows_footer() {
        let t = Table {
            footer: Some("Empty DataFrame".into()),
            ..Table::default()
        };
        assert_eq!(render_table(&t), "Empty DataFrame");
    }
}
