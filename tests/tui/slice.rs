//! The real session's heatmap slices (`Console::slice2d` on `lang::Session`): values checked
//! against the netCDF file read directly with the netcdf crate.

use tessera::demo::{write_demo, DemoOptions};
use tessera::engine::{Engine, EngineConfig};
use tessera::io::demo_cmip6::{Cmip6DemoOptions, FILL};
use tessera::lang::Session;
use tessera::ui::Console;

/// `pr[0, ::rs, ::cs]` of the first demo file, rows reversed (north up), fill values as NaN.
fn first_step(dir: &std::path::Path, rs: usize, cs: usize) -> (usize, usize, Vec<f64>) {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "nc"))
        .collect();
    files.sort();
    let nc = netcdf::open(&files[0]).unwrap();
    let a = nc
        .variable("pr")
        .unwrap()
        .get::<f32, _>((0, .., ..))
        .unwrap();
    let (nr, ncol) = (a.shape()[0], a.shape()[1]);
    let mut v = Vec::new();
    // The demo's latitudes increase: the heatmap puts the last row (north) on top.
    for r in (0..nr).step_by(rs).collect::<Vec<_>>().into_iter().rev() {
        for c in (0..ncol).step_by(cs) {
            let x = a[[r, c]];
            v.push(if x == FILL { f64::NAN } else { x as f64 });
        }
    }
    (nr.div_ceil(rs), ncol.div_ceil(cs), v)
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-12 * y.abs().max(1.0))
}

#[test]
fn slice2d_reads_the_first_time_step_of_real_arrays() {
    let dir = std::env::temp_dir().join(format!("tessera-tui-slice-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let opts = DemoOptions {
        bom: None,
        cmip6: Some(Cmip6DemoOptions {
            files: 2,
            years_per_file: 1,
            nlat: 6,
            nlon: 12,
            seed: 5,
            zlib: false,
        }),
    };
    write_demo(&dir, &opts).unwrap();
    let engine = Engine::new(EngineConfig {
        threads: 2,
        ..Default::default()
    });
    let mut s = Session::new(engine, true);
    let pattern = format!("{}/pr_day_*.nc", dir.display());
    let src = format!(
        "ds = open_mfdataset({pattern:?}, chunks={{\"time\": 100}})\npr = ds.pr\nn = 3\nseries = pr.isel(lat=0, lon=0)\n"
    );
    let out = Console::run(&mut s, &src, "<test>");
    assert!(out.iter().all(|e| e.error.is_none()), "{out:?}");

    // A dataset draws its variable with the most dimensions (pr, not time_bnds), at time=0.
    let g = s.slice2d("ds", None, 400, 400).unwrap();
    let (rows, cols, want) = first_step(&dir, 1, 1);
    assert_eq!((g.rows, g.cols), (rows, cols));
    assert_eq!(
        (g.y.as_str(), g.x.as_str(), g.at.as_str()),
        ("lat", "lon", "time=0")
    );
    assert!(same(&g.values, &want), "{:?} vs {want:?}", g.values);

    // A DataArray, strided down to at most 3 x 5 values.
    let g = s.slice2d("pr", None, 3, 5).unwrap();
    let (rows, cols, want) = first_step(&dir, 2, 3);
    assert_eq!((g.rows, g.cols), (rows, cols));
    assert!(same(&g.values, &want), "{:?} vs {want:?}", g.values);

    // Named variable of a dataset; errors say why not.
    assert_eq!(s.slice2d("ds", Some("pr"), 400, 400).unwrap().rows, 6);
    assert!(s
        .slice2d("n", None, 10, 10)
        .unwrap_err()
        .contains("not an array"));
    assert!(s
        .slice2d("nope", None, 10, 10)
        .unwrap_err()
        .contains("no variable"));
    assert!(s
        .slice2d("series", None, 10, 10)
        .unwrap_err()
        .contains("two dimensions"));
    assert!(s.slice2d("ds", Some("nope"), 10, 10).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
