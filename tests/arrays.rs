//! Chunked netCDF datasets end to end on small generated files: open, combine, select, compute,
//! reduce and write, checked against values read directly and computed by hand.

use std::path::{Path, PathBuf};

use ndarray::{ArrayD, Axis, IxDyn};
use tessera::array::{
    expand, open_dataset, open_mfdataset, run_sequential, to_netcdf_graph, Arith, ChunkSpec,
    Combine, DataArray, Dataset, Indexer, Label, OpenOptions, Reduction, VarEncoding,
};
use tessera::engine::NdArray;
use tessera::io::demo_cmip6::{write_cmip6_demo, Cmip6DemoOptions, FILL};
use tessera::io::netcdf::{AttributeValue, NcWriter, RawType, VarSpec};

fn demo(dir: &Path) -> Vec<PathBuf> {
    let o = Cmip6DemoOptions {
        files: 3,
        years_per_file: 1,
        nlat: 6,
        nlon: 8,
        seed: 7,
        zlib: true,
    };
    write_cmip6_demo(dir, &o).unwrap().files
}

fn values(a: &DataArray) -> ArrayD<f64> {
    let parts = run_sequential(&a.graph).unwrap();
    a.assemble(&parts).unwrap().to_f64()
}

/// The whole `pr` read file by file with the netcdf crate, fill → NaN.
fn raw_pr(files: &[PathBuf]) -> ArrayD<f64> {
    let parts: Vec<ArrayD<f64>> = files
        .iter()
        .map(|f| {
            let nc = netcdf::open(f).unwrap();
            let a = nc.variable("pr").unwrap().get::<f32, _>(..).unwrap();
            a.mapv(|x| if x == FILL { f64::NAN } else { x as f64 })
        })
        .collect();
    let views: Vec<_> = parts.iter().map(|a| a.view()).collect();
    ndarray::concatenate(Axis(0), &views).unwrap()
}

fn open(files: &[PathBuf], chunks: Vec<(String, ChunkSpec)>) -> Dataset {
    open_mfdataset(
        files,
        &OpenOptions {
            chunks,
            ..Default::default()
        },
    )
    .unwrap()
}

fn nan_eq(a: &ArrayD<f64>, b: &ArrayD<f64>, tol: f64) -> bool {
    a.shape() == b.shape()
        && a.iter()
            .zip(b.iter())
            .all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() <= tol * y.abs().max(1e-12))
}

/// NaN-skipping mean/max/std over `axes` by hand.
fn by_hand(a: &ArrayD<f64>, axis: usize, f: fn(&[f64]) -> f64) -> ArrayD<f64> {
    a.map_axis(Axis(axis), |lane| {
        let v: Vec<f64> = lane.iter().copied().filter(|x| !x.is_nan()).collect();
        f(&v)
    })
}
fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}
fn std0(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt()
}

#[test]
fn demo_opens_with_cmip6_dims_attrs_and_noleap_time() {
    let dir = tempfile::tempdir().unwrap();
    let files = demo(dir.path());
    let pattern = dir.path().join("pr_day_GFDL-CM4_ssp585_*.nc");
    let paths = expand(pattern.to_str().unwrap()).unwrap();
    assert_eq!(paths.len(), 3);
    let ds = open(&paths, vec![("time".into(), ChunkSpec::Size(100))]);
    assert_eq!(
        ds.dims,
        vec![
            ("time".into(), 1095),
            ("bnds".into(), 2),
            ("lat".into(), 6),
            ("lon".into(), 8)
        ]
    );
    let names: Vec<_> = ds.data_vars.iter().map(|v| v.label()).collect();
    assert_eq!(names, ["time_bnds", "lat_bnds", "lon_bnds", "pr"]);
    let meta = tessera::io::netcdf::read_meta(&paths[0]).unwrap();
    assert_eq!(
        (meta.var("pr").unwrap().zlib, meta.var("lat").unwrap().zlib),
        (Some(4), None)
    );
    assert!(meta.dim("time").unwrap().unlimited && !meta.dim("lat").unwrap().unlimited);
    assert_eq!(meta.var("pr").unwrap().chunking, Some(vec![365, 6, 8]));
    let pr = ds.var("pr").unwrap();
    assert_eq!(pr.dtype.name(), "float32");
    assert!(pr
        .attrs
        .iter()
        .any(|(k, v)| k == "units" && *v == AttributeValue::Str("kg m-2 s-1".into())));
    assert!(ds
        .attrs
        .iter()
        .any(|(k, v)| k == "source_id" && *v == AttributeValue::Str("GFDL-CM4".into())));
    // Chunks restart at each file (365 = 100+100+100+65), as xarray chunks each file.
    assert_eq!(
        pr.grid.chunks[0],
        vec![100, 100, 100, 65, 100, 100, 100, 65, 100, 100, 100, 65]
    );
    let t = ds.coord("time").unwrap();
    assert_eq!(t.label(0), "2015-01-01 12:00:00");
    assert_eq!(t.label(1094), "2017-12-31 12:00:00");
    assert_eq!(t.dtype_name(), "object");
    assert_eq!(
        ds.nbytes(),
        (1095 * 48 * 4 + 1095 * 2 * 8 + 6 * 2 * 8 + 8 * 2 * 8 + (1095 + 6 + 8) * 8) as u64
    );
    // Values equal a direct read, fill cells masked.
    let got = values(pr);
    assert!(nan_eq(&got, &raw_pr(&files), 0.0));
    let v: Vec<f64> = got.iter().copied().filter(|x| !x.is_nan()).collect();
    assert!(v.iter().all(|&x| (0.0..1e-3).contains(&x)));
    assert!(mean(&v) > 5e-6 && mean(&v) < 1e-4, "mean {}", mean(&v));
    let text = tessera::array::repr_lazy::dataset_text(&ds);
    for line in [
        "<xarray.Dataset> Size: 237kB",
        "Dimensions:    (time: 1095, bnds: 2, lat: 6, lon: 8)",
        "  * time       (time) object 9kB 2015-01-01 12:00:00 ... 2017-12-31 12:00:00",
        "  * lat        (lat) float64 48B -75.0 -45.0 -15.0 15.0 45.0 75.0",
        "Dimensions without coordinates: bnds",
        "    pr         (time, lat, lon) float32 210kB dask.array<chunksize=(100, 6, 8), meta=np.ndarray>",
        "Attributes: (12/21)",
        "    Conventions:         CF-1.7 CMIP-6.0 UGRID-1.0",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
}

#[test]
fn files_are_ordered_by_time_and_mismatches_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = demo(dir.path());
    files.reverse();
    let ds = open(&files, vec![]);
    let t = ds.coord("time").unwrap();
    assert!(t.values.windows(2).all(|w| w[1] > w[0]));
    // The encoding, attributes and time metadata come from the first file in time order, though it
    // was not the first path given (the later files are only peeked at).
    assert_eq!(ds.var("pr").unwrap().encoding.zlib, Some(4));
    let mut forward = files.clone();
    forward.reverse();
    let fwd = open(&forward, vec![]);
    assert_eq!(ds.attrs, fwd.attrs);
    assert_eq!(t.attrs, fwd.coord("time").unwrap().attrs);
    assert_eq!(t.time, fwd.coord("time").unwrap().time);
    assert_eq!(t.values, fwd.coord("time").unwrap().values);
    assert_eq!(ds.var("pr").unwrap().grid.chunks[0], vec![365, 365, 365]);
    let whole = open(&files, vec![("time".into(), ChunkSpec::Full)]);
    assert_eq!(whole.var("pr").unwrap().grid.chunks[0], vec![1095]);
    let auto = open(
        &files,
        vec![
            ("time".into(), ChunkSpec::Auto),
            ("lon".into(), ChunkSpec::Size(3)),
        ],
    );
    let g = &auto.var("pr").unwrap().grid;
    assert_eq!(
        (g.chunks[0].clone(), g.chunks[2].clone()),
        (vec![365, 365, 365], vec![3, 3, 2])
    );
    // Nested keeps the given (backwards) order: refused, naming a file.
    let e = open_mfdataset(
        &files,
        &OpenOptions {
            combine: Combine::Nested,
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("backwards"), "{e}");
    // A file on another grid.
    let other = tempfile::tempdir().unwrap();
    let o = Cmip6DemoOptions {
        files: 1,
        years_per_file: 1,
        nlat: 5,
        nlon: 8,
        seed: 7,
        zlib: false,
    };
    let bad = write_cmip6_demo(other.path(), &o).unwrap().files;
    let odd = dir
        .path()
        .join("pr_day_GFDL-CM4_ssp585_r1i1p1f1_gr1_20990101-20991231.nc");
    std::fs::copy(&bad[0], &odd).unwrap();
    let e = open_mfdataset(
        &expand(dir.path().join("*.nc").to_str().unwrap()).unwrap(),
        &OpenOptions::default(),
    )
    .err()
    .unwrap();
    let msg = e.to_string();
    assert!(
        msg.contains("20990101") && msg.contains("'lat' has size 5"),
        "{msg}"
    );
}

#[test]
fn isel_sel_arithmetic_and_reductions_match_hand_computation() {
    let dir = tempfile::tempdir().unwrap();
    let files = demo(dir.path());
    let ds = open(&files, vec![("time".into(), ChunkSpec::Size(50))]);
    let pr = ds.var("pr").unwrap();
    let all = raw_pr(&files);

    let first_year = pr
        .isel(&[("time".into(), Indexer::Slice(Some(0), Some(365), 1))])
        .unwrap();
    let m = first_year
        .reduce(Reduction::Mean, Some(&["time".into()]))
        .unwrap();
    assert_eq!(m.dims, ["lat", "lon"]);
    assert_eq!(m.dtype.name(), "float32");
    let want = by_hand(
        &all.slice_axis(Axis(0), (0..365).into()).to_owned(),
        0,
        mean,
    );
    assert!(nan_eq(&values(&m), &want, 1e-6));

    // (pr * 86400).sel(lat=slice(-45, -10), lon=slice(110, 155)).max(["lat", "lon"])
    let lat = ds.coord("lat").unwrap();
    let lon = ds.coord("lon").unwrap();
    let sub = pr
        .arith_scalar(Arith::Mul, 86400.0, false, false)
        .sel(
            &[
                (
                    "lat".into(),
                    Label::Slice(
                        Some(Box::new(Label::Num(-45.0))),
                        Some(Box::new(Label::Num(-10.0))),
                    ),
                ),
                (
                    "lon".into(),
                    Label::Slice(
                        Some(Box::new(Label::Num(110.0))),
                        Some(Box::new(Label::Num(155.0))),
                    ),
                ),
            ],
            false,
        )
        .unwrap();
    let li: Vec<usize> = (0..6)
        .filter(|&j| (-45.0..=-10.0).contains(&lat.values[j]))
        .collect();
    let oi: Vec<usize> = (0..8)
        .filter(|&i| (110.0..=155.0).contains(&lon.values[i]))
        .collect();
    assert_eq!(sub.shape(), vec![1095, li.len(), oi.len()]);
    let mx = values(
        &sub.reduce(Reduction::Max, Some(&["lat".into(), "lon".into()]))
            .unwrap(),
    );
    for t in [0usize, 400, 1094] {
        let want = li
            .iter()
            .flat_map(|&j| oi.iter().map(move |&i| (j, i)))
            .map(|(j, i)| (all[[t, j, i]] as f32 * 86400.0) as f64)
            .filter(|x| !x.is_nan())
            .fold(f64::NEG_INFINITY, f64::max);
        assert!((mx[[t]] - want).abs() <= 1e-6 * want, "t={t}");
    }

    // Spatial mean series, std (ddof=0), count, sum over everything.
    let series = values(
        &pr.reduce(Reduction::Mean, Some(&["lat".into(), "lon".into()]))
            .unwrap(),
    );
    let flat = all
        .clone()
        .into_shape_with_order(IxDyn(&[1095, 48]))
        .unwrap();
    assert!(nan_eq(&series, &by_hand(&flat, 1, mean), 1e-6));
    let sd = values(&pr.reduce(Reduction::Std, Some(&["time".into()])).unwrap());
    assert!(nan_eq(&sd, &by_hand(&all, 0, std0), 1e-5));
    let cnt = values(&pr.reduce(Reduction::Count, None).unwrap());
    assert_eq!(
        cnt.iter().next().copied().unwrap(),
        all.iter().filter(|x| !x.is_nan()).count() as f64
    );

    // Time selection by partial date strings in the noleap calendar.
    let feb = pr
        .sel(&[("time".into(), Label::Str("2016-02".into()))], false)
        .unwrap();
    assert_eq!(feb.shape()[0], 28);
    let span = pr
        .sel(
            &[(
                "time".into(),
                Label::Slice(
                    Some(Box::new(Label::Str("2015-12".into()))),
                    Some(Box::new(Label::Str("2016-01".into()))),
                ),
            )],
            false,
        )
        .unwrap();
    assert_eq!(span.shape()[0], 62);
    assert_eq!(span.coord("time").unwrap().label(0), "2015-12-01 12:00:00");
    // Nearest on floats; int isel drops the dim.
    let p = pr
        .sel(&[("lat".into(), Label::Num(-40.0))], true)
        .unwrap()
        .isel(&[("time".into(), Indexer::Index(-1))])
        .unwrap();
    assert_eq!(p.dims, ["lon"]);
    let j = (0..6)
        .min_by(|&a, &b| {
            (lat.values[a] + 40.0)
                .abs()
                .total_cmp(&(lat.values[b] + 40.0).abs())
        })
        .unwrap();
    assert!(nan_eq(
        &values(&p),
        &all.index_axis(Axis(0), 1094)
            .index_axis(Axis(0), j)
            .to_owned(),
        1e-7
    ));

    // Anomaly: array minus a broadcast reduction; rechunk keeps values.
    let clim = pr.reduce(Reduction::Mean, Some(&["time".into()])).unwrap();
    let anom = pr.arith_array(Arith::Sub, &clim, false).unwrap();
    let a = values(
        &anom.rechunk(
            anom.chunk_grid(&[
                ("time".into(), ChunkSpec::Size(333)),
                ("lon".into(), ChunkSpec::Size(3)),
            ])
            .unwrap(),
        ),
    );
    let c = by_hand(&all, 0, mean);
    let want = ArrayD::from_shape_fn(all.raw_dim(), |ix| {
        ((all[&ix] as f32) - (c[[ix[1], ix[2]]] as f32)) as f64
    });
    assert!(nan_eq(&a, &want, 1e-5));
}

#[test]
fn to_netcdf_round_trips_values_attrs_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let files = demo(dir.path());
    let ds = open(&files, vec![("time".into(), ChunkSpec::Size(200))]);
    let out = dir.path().join("out/cmip6.nc");
    let g = to_netcdf_graph(
        &ds,
        out.clone(),
        vec![("pr".into(), VarEncoding { zlib: Some(4) })],
    )
    .unwrap();
    assert!(!out.exists(), "nothing is written before compute");
    run_sequential(&g).unwrap();
    assert!(out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
    let meta = tessera::io::netcdf::read_meta(&out).unwrap();
    assert_eq!(meta.var("pr").unwrap().zlib, Some(4));
    assert!(meta.var("pr").unwrap().shuffle);
    assert_eq!(meta.var("time").unwrap().zlib, None);
    let back = open_dataset(
        &out,
        &OpenOptions {
            chunks: vec![("time".into(), ChunkSpec::Size(730))],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(back.dims, ds.dims);
    assert_eq!(back.attrs, ds.attrs);
    assert_eq!(
        back.coord("time").unwrap().values,
        ds.coord("time").unwrap().values
    );
    assert_eq!(back.coord("time").unwrap().label(0), "2015-01-01 12:00:00");
    let (a, b) = (back.var("pr").unwrap(), ds.var("pr").unwrap());
    assert_eq!(a.attrs, b.attrs);
    assert!(nan_eq(&values(a), &values(b), 0.0));
    assert!(nan_eq(
        &values(back.var("time_bnds").unwrap()),
        &values(ds.var("time_bnds").unwrap()),
        0.0
    ));
    // A DataArray series.
    let series = ds
        .var("pr")
        .unwrap()
        .reduce(Reduction::Mean, Some(&["lat".into(), "lon".into()]))
        .unwrap();
    let one = Dataset {
        dims: vec![("time".into(), 1095)],
        coords: series.coords.clone(),
        data_vars: vec![series.clone()],
        attrs: vec![],
    };
    let p2 = dir.path().join("series.nc");
    run_sequential(&to_netcdf_graph(&one, p2.clone(), vec![]).unwrap()).unwrap();
    let s2 = open_dataset(&p2, &OpenOptions::default()).unwrap();
    let t2 = s2.coord("time").unwrap();
    assert!(
        !t2.attrs.iter().any(|(k, _)| k == "bounds"),
        "no dangling bounds"
    );
    assert!(back
        .coord("time")
        .unwrap()
        .attrs
        .iter()
        .any(|(k, _)| k == "bounds"));
    assert!(nan_eq(
        &values(s2.var("pr").unwrap()),
        &values(&series),
        0.0
    ));
}

#[test]
fn cf_decoding_masks_and_unpacks() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("packed.nc");
    let mut w = NcWriter::create(&p).unwrap();
    w.add_dim("x", 4).unwrap();
    let attrs = vec![
        ("scale_factor".to_string(), AttributeValue::Float(0.5)),
        ("add_offset".to_string(), AttributeValue::Float(10.0)),
        ("missing_value".to_string(), AttributeValue::Short(-1)),
    ];
    w.add_var(&VarSpec {
        name: "t".into(),
        dims: vec!["x".into()],
        dtype: RawType::I16,
        attrs,
        fill: Some(-999.0),
        zlib: None,
        chunking: None,
    })
    .unwrap();
    w.write(
        "t",
        &[0],
        &NdArray::I16(ArrayD::from_shape_vec(IxDyn(&[4]), vec![0i16, 4, -999, -1]).unwrap()),
    )
    .unwrap();
    w.commit().unwrap();
    let ds = open_dataset(&p, &OpenOptions::default()).unwrap();
    let t = ds.var("t").unwrap();
    assert_eq!(t.dtype.name(), "float32");
    let v: Vec<f64> = values(t).iter().copied().collect();
    assert_eq!(v[..2], [10.0, 12.0]);
    assert!(v[2].is_nan() && v[3].is_nan());
    assert!(!t.attrs.iter().any(|(k, _)| k == "scale_factor"));
}

#[test]
fn bad_input_gives_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let files = demo(dir.path());
    let e = expand(dir.path().join("tas_*.nc").to_str().unwrap())
        .err()
        .unwrap();
    assert!(e.to_string().contains("no files match"), "{e}");
    let junk = dir.path().join("junk.nc");
    std::fs::write(&junk, b"this is not netCDF").unwrap();
    let e = open_dataset(&junk, &OpenOptions::default()).err().unwrap();
    assert!(
        e.to_string().contains("junk.nc") && e.to_string().contains("not a readable netCDF"),
        "{e}"
    );
    let trunc = dir.path().join("trunc.nc");
    let bytes = std::fs::read(&files[0]).unwrap();
    std::fs::write(&trunc, &bytes[..bytes.len() / 3]).unwrap();
    let r = open_dataset(&trunc, &OpenOptions::default())
        .and_then(|ds| run_sequential(&ds.var("pr")?.graph).map(|_| ()));
    assert!(r.err().unwrap().to_string().contains("trunc.nc"));
    let ds = open(&files, vec![]);
    let e = ds.var("precip").err().unwrap();
    assert!(e.to_string().contains("did you mean 'pr'"), "{e}");
    let e = open_mfdataset(
        &files,
        &OpenOptions {
            chunks: vec![("tme".into(), ChunkSpec::Size(3))],
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("did you mean 'time'"), "{e}");
    let pr = ds.var("pr").unwrap();
    let e = pr
        .reduce(Reduction::Mean, Some(&["latitude".into()]))
        .err()
        .unwrap();
    assert!(e.to_string().contains("did you mean 'lat'"), "{e}");
    let e = pr
        .sel(
            &[(
                "lat".into(),
                Label::Slice(
                    Some(Box::new(Label::Num(91.0))),
                    Some(Box::new(Label::Num(95.0))),
                ),
            )],
            false,
        )
        .err()
        .unwrap();
    assert!(e.to_string().contains("selects nothing"), "{e}");
    let e = pr
        .sel(&[("time".into(), Label::Str("2030-01".into()))], false)
        .err()
        .unwrap();
    assert!(e.to_string().contains("not in 'time'"), "{e}");
    let e = pr
        .sel(&[("time".into(), Label::Str("2015-02-30".into()))], false)
        .err()
        .unwrap();
    assert!(e.to_string().contains("noleap"), "{e}");
    // Writing below a regular file fails cleanly, leaving nothing behind.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"x").unwrap();
    let g = to_netcdf_graph(&ds, blocker.join("out.nc"), vec![]).unwrap();
    assert!(run_sequential(&g).is_err());
    assert!(!blocker.join("out.nc").exists());
}

#[test]
fn parallel_chunk_reads_match_the_library() {
    use tessera::io::netcdf::h5chunks::read_raw_chunks;
    use tessera::io::netcdf::read::read_raw_library;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("chunked.nc");
    let mut w = NcWriter::create(&p).unwrap();
    for (d, n) in [("t", 20), ("y", 5), ("x", 7)] {
        w.add_dim(d, n).unwrap();
    }
    for (name, dt, zlib, chunking) in [
        ("a", RawType::F32, Some(4), vec![7, 2, 3]),
        ("b", RawType::F64, Some(1), vec![7, 2, 3]),
        ("c", RawType::F32, None, vec![7, 2, 3]),
        // Whole rows per chunk: a time slab is one contiguous read per chunk.
        ("d", RawType::F64, None, vec![7, 5, 7]),
    ] {
        let spec = VarSpec {
            name: name.into(),
            dims: vec!["t".into(), "y".into(), "x".into()],
            dtype: dt,
            attrs: vec![],
            fill: None,
            zlib,
            chunking: Some(chunking),
        };
        w.add_var(&spec).unwrap();
        let data = ArrayD::from_shape_fn(IxDyn(&[20, 5, 7]), |ix| {
            (ix[0] * 100 + ix[1] * 10 + ix[2]) as f64 * 0.25
        });
        let arr = if dt == RawType::F32 {
            NdArray::F32(data.mapv(|x| x as f32))
        } else {
            NdArray::F64(data)
        };
        w.write(name, &[0, 0, 0], &arr).unwrap();
    }
    w.commit().unwrap();
    let (s, c) = ([3, 1, 2], [10, 4, 5]);
    // Uncompressed chunks are read by address too (only the selection's runs).
    for (s, c) in [
        ([0, 0, 0], [20, 5, 7]),
        ([7, 0, 0], [7, 5, 7]),
        ([1, 2, 3], [1, 1, 1]),
    ] {
        for v in ["c", "d"] {
            let direct = read_raw_chunks(&p, v, &s, &c)
                .unwrap()
                .expect("uncompressed, chunked");
            assert_eq!(
                direct,
                read_raw_library(&p, v, &s, &c).unwrap(),
                "{v} {s:?} {c:?}"
            );
        }
    }
    // Compressed chunks decode straight into the selection: interior, whole, edge and one element.
    for (s, c) in [
        (s, c),
        ([0, 0, 0], [20, 5, 7]),
        ([14, 4, 6], [6, 1, 1]),
        ([19, 3, 2], [1, 1, 1]),
    ] {
        for v in ["a", "b", "c"] {
            let fast = read_raw_chunks(&p, v, &s, &c)
                .unwrap()
                .expect("eligible for the fast path");
            assert_eq!(
                fast,
                read_raw_library(&p, v, &s, &c).unwrap(),
                "variable {v} {s:?} {c:?}"
            );
        }
    }
    // Not eligible (netCDF-3 style data is not HDF5): falls back.
    let junk = dir.path().join("x.nc");
    std::fs::write(&junk, b"CDF\x01").unwrap();
    assert!(read_raw_chunks(&junk, "a", &[0], &[1]).unwrap().is_none());
}

mod session {
    //! The session-language objects, driven as the interpreter does (lazy operations only: the
    //! engine is not needed until something is computed; computing goes through the Collection).
    use super::*;
    use std::sync::Arc;
    use tessera::array::{builtins, ArrayValue, DataArrayObj, DatasetObj};
    use tessera::engine::Engine;
    use tessera::lang::{Args, BinOp, Native, Obj, Output, SessionCtx};

    struct Ctx;
    impl SessionCtx for Ctx {
        fn engine(&self) -> &Engine {
            unreachable!("lazy operations never touch the engine")
        }
        fn emit(&mut self, _out: Output) {}
        fn interactive(&self) -> bool {
            false
        }
    }

    fn call(name: &str, args: Args) -> tessera::error::Result<Obj> {
        let f = builtins().into_iter().find(|(n, _)| *n == name).unwrap().1;
        f(args, &mut Ctx)
    }
    fn kw(k: &str, v: Obj) -> (String, Obj) {
        (k.to_string(), v)
    }
    fn s(x: &str) -> Obj {
        Obj::str(x)
    }
    fn method(o: &Obj, name: &str, args: Args) -> Obj {
        match o {
            Obj::Native(n) => n.call_method(name, args, &mut Ctx).unwrap(),
            _ => panic!("not native"),
        }
    }
    fn attr(o: &Obj, name: &str) -> Obj {
        match o {
            Obj::Native(n) => n.get_attr(name, &mut Ctx).unwrap().unwrap(),
            _ => panic!("not native"),
        }
    }
    /// Compute through the Collection contract with the sequential executor.
    fn compute(o: &Obj) -> Obj {
        let Obj::Native(n) = o else { panic!() };
        let c = n.collection().unwrap();
        c.finalize(run_sequential(c.graph()).unwrap()).unwrap()
    }

    #[test]
    fn tutorial_session_builds_lazily_and_computes() {
        let dir = tempfile::tempdir().unwrap();
        let files = demo(dir.path());
        let pattern = dir.path().join("pr_day_GFDL-CM4_ssp585_*.nc");
        let chunks = Obj::Dict(Arc::new(vec![(s("time"), Obj::Int(730))]));
        let ds = call(
            "open_mfdataset",
            Args {
                positional: vec![s(pattern.to_str().unwrap())],
                keywords: vec![kw("chunks", chunks), kw("parallel", Obj::Bool(true))],
            },
        )
        .unwrap();
        let Obj::Native(n) = &ds else { panic!() };
        let Output::Text(t) = n.repr(&mut Ctx).unwrap() else {
            panic!()
        };
        assert!(t.starts_with("<xarray.Dataset>"), "{t}");
        let nbytes = attr(&ds, "nbytes").as_i64().unwrap();
        let fb = call(
            "format_bytes",
            Args {
                positional: vec![Obj::Int(nbytes)],
                keywords: vec![],
            },
        )
        .unwrap();
        assert_eq!(fb.as_str().unwrap(), "231.30 kiB");
        let pr = attr(&ds, "pr");
        assert_eq!(pr.type_name(), "DataArray");
        let Output::Text(t) = pr
            .downcast::<DataArrayObj>()
            .unwrap()
            .repr(&mut Ctx)
            .unwrap()
        else {
            panic!()
        };
        assert!(
            t.contains("chunksize=(365, 6, 8)") && t.contains("first values [0, 0, :5]"),
            "{t}"
        );
        // ds["pr"].isel(time=slice(0, 365)).mean("time")
        let item = n.get_item(&s("pr"), &mut Ctx).unwrap();
        let sl = Obj::Slice(
            Some(Box::new(Obj::Int(0))),
            Some(Box::new(Obj::Int(365))),
            None,
        );
        let first = method(
            &item,
            "isel",
            Args {
                positional: vec![],
                keywords: vec![kw("time", sl)],
            },
        );
        let m = method(
            &first,
            "mean",
            Args {
                positional: vec![s("time")],
                keywords: vec![],
            },
        );
        let got = compute(&m);
        let v = got.downcast::<ArrayValue>().unwrap();
        assert_eq!(v.dims, ["lat", "lon"]);
        assert!(
            v.text()
                .starts_with("<xarray.DataArray 'pr' (lat: 6, lon: 8)> Size: 192B\narray([["),
            "{}",
            v.text()
        );
        // (ds.pr * 86400).sel(lat=slice(-45, -10)).max(["lat", "lon"]) and a scalar result.
        let Obj::Native(prn) = &pr else { panic!() };
        let scaled = prn
            .binary_op(BinOp::Mul, &Obj::Int(86400), true, &mut Ctx)
            .unwrap();
        let box_ = Obj::Slice(
            Some(Box::new(Obj::Int(-45))),
            Some(Box::new(Obj::Int(-10))),
            None,
        );
        let sub = method(
            &scaled,
            "sel",
            Args {
                positional: vec![],
                keywords: vec![kw("lat", box_)],
            },
        );
        let dims = Obj::List(Arc::new(vec![s("lat"), s("lon")]));
        let mx = method(
            &sub,
            "max",
            Args {
                positional: vec![dims],
                keywords: vec![],
            },
        );
        assert_eq!(attr(&mx, "shape").type_name(), "tuple");
        let total = method(&pr, "count", Args::default());
        let Obj::Int(count) = compute(&total) else {
            panic!("count is an int")
        };
        assert_eq!(
            count as usize,
            raw_pr(&files).iter().filter(|x| !x.is_nan()).count()
        );
        // The whole dataset as one collection: finalize keeps every variable.
        let loaded = compute(&ds);
        let lds = loaded.downcast::<DatasetObj>().unwrap();
        assert_eq!(lds.0.data_vars.len(), 4);
        assert!(nan_eq(
            &values(lds.0.var("pr").unwrap()),
            &raw_pr(&files),
            0.0
        ));
        // Errors name the problem.
        let e = n.get_item(&s("tas"), &mut Ctx).err().unwrap();
        assert!(e.to_string().contains("no variable named 'tas'"));
        let e = call(
            "open_mfdataset",
            Args {
                positional: vec![s("/nonexistent/*.nc")],
                keywords: vec![],
            },
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("no files match"));
        let Obj::Native(dn) = &ds else { panic!() };
        let e = dn
            .call_method(
                "chunk",
                Args {
                    positional: vec![],
                    keywords: vec![kw("tim", Obj::Int(5))],
                },
                &mut Ctx,
            )
            .err()
            .unwrap();
        assert!(e.to_string().contains("did you mean 'time'"), "{e}");
        // to_netcdf(compute=False) builds the graph and writes nothing yet.
        let out = dir.path().join("out/all.nc");
        let job = method(
            &ds,
            "to_netcdf",
            Args {
                positional: vec![s(out.to_str().unwrap())],
                keywords: vec![kw("compute", Obj::Bool(false))],
            },
        );
        assert_eq!(job.type_name(), "Delayed");
        assert!(!out.exists());
        compute(&job);
        assert!(out.exists());
    }
}

/// A small CF file: `time` (days since 2000-01-01, from `t0`), `lat`, `lon`, a compressed float `pr`
/// with NaNs and explicit fill values, and a compressed `count` (i16).
fn small_file(path: &Path, t0: usize, nt: usize) {
    let mut w = NcWriter::create(path).unwrap();
    for (d, n) in [("time", nt), ("lat", 3), ("lon", 5)] {
        w.add_dim(d, n).unwrap();
    }
    let coord = |name: &str, attrs: Vec<(String, AttributeValue)>| VarSpec {
        name: name.into(),
        dims: vec![name.into()],
        dtype: RawType::F64,
        attrs,
        fill: None,
        zlib: None,
        chunking: None,
    };
    let s = |x: &str| AttributeValue::Str(x.into());
    w.add_var(&coord(
        "time",
        vec![
            ("units".into(), s("days since 2000-01-01")),
            ("calendar".into(), s("noleap")),
        ],
    ))
    .unwrap();
    w.add_var(&coord("lat", vec![("units".into(), s("degrees_north"))]))
        .unwrap();
    w.add_var(&coord("lon", vec![("units".into(), s("degrees_east"))]))
        .unwrap();
    let var = |name: &str, dtype, fill| VarSpec {
        name: name.into(),
        dims: vec!["time".into(), "lat".into(), "lon".into()],
        dtype,
        attrs: vec![("units".into(), s("1"))],
        fill,
        zlib: Some(4),
        chunking: Some(vec![nt.min(5), 3, 5]),
    };
    w.add_var(&var("pr", RawType::F32, Some(1e20))).unwrap();
    w.add_var(&var("count", RawType::I16, None)).unwrap();
    let t: Vec<f64> = (t0..t0 + nt).map(|d| d as f64 + 0.5).collect();
    w.write(
        "time",
        &[0],
        &NdArray::F64(ArrayD::from_shape_vec(IxDyn(&[nt]), t).unwrap()),
    )
    .unwrap();
    for (c, n) in [("lat", 3), ("lon", 5)] {
        let v = ArrayD::from_shape_fn(IxDyn(&[n]), |i| i[0] as f64 * 10.0);
        w.write(c, &[0], &NdArray::F64(v)).unwrap();
    }
    let pr = ArrayD::from_shape_fn(IxDyn(&[nt, 3, 5]), |i| {
        let k = (t0 + i[0]) * 15 + i[1] * 5 + i[2];
        match k % 7 {
            0 => f32::NAN,
            3 if k.is_multiple_of(2) => 1e20,
            _ => k as f32 * 0.125,
        }
    });
    w.write("pr", &[0, 0, 0], &NdArray::F32(pr)).unwrap();
    let count = ArrayD::from_shape_fn(IxDyn(&[nt, 3, 5]), |i| {
        ((t0 + i[0]) * 15 + i[1] * 5 + i[2]) as i16 - 40
    });
    w.write("count", &[0, 0, 0], &NdArray::I16(count)).unwrap();
    w.commit().unwrap();
}

/// Stored values of `var`, through the netCDF library.
fn stored(path: &Path, var: &str) -> NdArray {
    let shape = tessera::io::netcdf::read_meta(path)
        .unwrap()
        .var(var)
        .unwrap()
        .shape
        .clone();
    tessera::io::netcdf::read::read_raw_library(path, var, &vec![0; shape.len()], &shape).unwrap()
}

/// Stored `pr` with missing values (NaN or 1e20) as NaN.
fn stored_pr(path: &Path) -> Vec<f32> {
    let NdArray::F32(a) = stored(path, "pr") else {
        panic!("pr is float")
    };
    a.iter()
        .map(|&x| if x == 1e20 { f32::NAN } else { x })
        .collect()
}

#[test]
fn to_netcdf_compresses_aligned_chunks_in_the_workers() {
    use tessera::array::direct_chunk_plan;
    use tessera::io::netcdf::h5write::DIRECT_CHUNKS;
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = [(0, 4), (4, 4), (8, 3)]
        .iter()
        .map(|&(t0, nt)| {
            let p = dir.path().join(format!("src_{t0:02}.nc"));
            small_file(&p, t0, nt);
            p
        })
        .collect();
    let want_pr: Vec<f32> = files.iter().flat_map(|f| stored_pr(f)).collect();
    let want_count: Vec<i16> = files
        .iter()
        .flat_map(|f| match stored(f, "count") {
            NdArray::I16(a) => a.iter().copied().collect::<Vec<_>>(),
            _ => panic!("count is i16"),
        })
        .collect();
    // Blocks of 4, 4, 3 days (one per file): chunks of 4 days, the last one (days 8..12 of 11)
    // padded to its full shape.
    let ds = open(&files, vec![]);
    let plan = direct_chunk_plan(&ds, &[]);
    let names: Vec<_> = ds
        .data_vars
        .iter()
        .map(|v| v.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["pr", "count"]);
    assert_eq!(plan, vec![Some(vec![4, 3, 5]), Some(vec![4, 3, 5])]);
    let out = dir.path().join("out.nc");
    let before = DIRECT_CHUNKS.load(std::sync::atomic::Ordering::Relaxed);
    run_sequential(&to_netcdf_graph(&ds, out.clone(), vec![]).unwrap()).unwrap();
    // 3 chunks of each variable went through H5Dwrite_chunk (other tests may add more).
    assert!(DIRECT_CHUNKS.load(std::sync::atomic::Ordering::Relaxed) - before >= 6);
    let meta = tessera::io::netcdf::read_meta(&out).unwrap();
    for v in ["pr", "count"] {
        let m = meta.var(v).unwrap();
        assert_eq!(
            (m.zlib, m.shuffle, m.chunking.clone()),
            (Some(4), true, Some(vec![4, 3, 5])),
            "{v}"
        );
        assert_eq!(m.shape, vec![11, 3, 5]);
    }
    assert_eq!(
        meta.var("pr").unwrap().attr("_FillValue"),
        Some(&AttributeValue::Float(1e20))
    );
    // Values (NaN positions included) as the library reads them back; NaN was stored as 1e20.
    let NdArray::F32(raw) = stored(&out, "pr") else {
        panic!("pr is float")
    };
    assert!(
        raw.iter().all(|x| !x.is_nan()),
        "NaN is encoded as _FillValue"
    );
    let got = stored_pr(&out);
    assert_eq!(got.len(), want_pr.len());
    for (g, w) in got.iter().zip(&want_pr) {
        assert!(g == w || (g.is_nan() && w.is_nan()), "{g} vs {w}");
    }
    assert!(got.iter().any(|x| x.is_nan()));
    let NdArray::I16(count) = stored(&out, "count") else {
        panic!("count is i16")
    };
    assert_eq!(count.iter().copied().collect::<Vec<_>>(), want_count);
    // And through our own reader (its parallel inflate path), decoded.
    let back = open_dataset(&out, &OpenOptions::default()).unwrap();
    assert!(nan_eq(
        &values(back.var("pr").unwrap()),
        &values(ds.var("pr").unwrap()),
        0.0
    ));

    // Irregular blocks (4, 5, 3 days) share no useful chunk: the library writes them, same values.
    let odd: Vec<PathBuf> = [(0, 4), (4, 5), (9, 3)]
        .iter()
        .map(|&(t0, nt)| {
            let p = dir.path().join(format!("odd_{t0:02}.nc"));
            small_file(&p, t0, nt);
            p
        })
        .collect();
    let ds = open(&odd, vec![]);
    assert_eq!(direct_chunk_plan(&ds, &[]), vec![None, None]);
    let out = dir.path().join("odd.nc");
    run_sequential(&to_netcdf_graph(&ds, out.clone(), vec![]).unwrap()).unwrap();
    let m = tessera::io::netcdf::read_meta(&out).unwrap();
    assert_eq!(m.var("pr").unwrap().chunking, Some(vec![5, 3, 5]));
    let want: Vec<f32> = odd.iter().flat_map(|f| stored_pr(f)).collect();
    let got = stored_pr(&out);
    assert!(got
        .iter()
        .zip(&want)
        .all(|(g, w)| g == w || (g.is_nan() && w.is_nan())));
    // Uncompressed output (encoding zlib off): library path too.
    let plain = vec![("pr".to_string(), VarEncoding { zlib: None })];
    assert_eq!(direct_chunk_plan(&open(&files, vec![]), &plain)[0], None);
}
