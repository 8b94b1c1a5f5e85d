//! Imported modules: `import dask.dataframe as dd` binds `dd` to a module whose attributes are the
//! session's builtins (`dd.read_csv` is `read_csv`), so notebook lines paste unchanged. Unknown
//! attributes become nested modules and fail only when called, with a suggestion.

use super::builtins::Builtins;
use super::errors::Raise;
use super::object::{closest, Native, Obj, Output, SessionCtx};
use crate::error::Error;

/// A module path such as `dask.dataframe` (or `dask.diagnostics.ProgressBar` for an unknown name).
pub struct Module {
    pub path: String,
}

impl Module {
    /// What an import line binds: a builtin for `from m import known`, else a module.
    pub fn import(module: &str, attr: Option<&str>, builtins: &Builtins) -> Obj {
        match attr {
            Some(a) if builtins.contains(a) => Obj::Builtin(a.into()),
            Some(a) => Obj::native(Module {
                path: format!("{module}.{a}"),
            }),
            None => Obj::native(Module {
                path: module.to_string(),
            }),
        }
    }

    /// `module.name`: numpy/math constants, a builtin of that name, or a nested module.
    pub fn attr(&self, name: &str, builtins: &Builtins) -> Obj {
        match name {
            "nan" | "NaN" | "NAN" => return Obj::Float(f64::NAN),
            "inf" | "Inf" | "infty" => return Obj::Float(f64::INFINITY),
            "pi" => return Obj::Float(std::f64::consts::PI),
            "e" if self.path == "math" || self.path == "numpy" => {
                return Obj::Float(std::f64::consts::E)
            }
            _ => {}
        }
        if builtins.contains(name) {
            Obj::Builtin(name.into())
        } else {
            Obj::native(Module {
                path: format!("{}.{name}", self.path),
            })
        }
    }

    /// The error for calling something a module line named that Tessera does not have.
    pub fn not_callable(&self, builtins: &Builtins) -> Raise {
        let last = self.path.rsplit('.').next().unwrap_or(&self.path);
        let hint = closest(last, builtins.names())
            .map(|s| format!("; did you mean '{s}'?"))
            .unwrap_or_default();
        Raise::new(
            "AttributeError",
            format!("'{}' is not available in Tessera sessions{hint}", self.path),
        )
    }
}

impl Native for Module {
    fn type_name(&self) -> &str {
        "module"
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn repr(&self, _cx: &mut dyn SessionCtx) -> Result<Output, Error> {
        Ok(Output::Text(format!("<module '{}'>", self.path)))
    }
}
