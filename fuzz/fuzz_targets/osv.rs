//! OSV records (kubeward-vulndb's reader, JSON or YAML as `db import` reads them) and matching
//! a record against packages. The first byte picks the format; the rest is the record.
//! Invariants: no panic; a record that parses can be matched against a package of each of its
//! affected entries (at the versions it names and at arbitrary ones) without panicking, and a
//! withdrawn record never matches.
#![no_main]

use kubeward_vulndb::{affected_by, PackageQuery, Record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let parsed = if first & 1 == 0 {
        Record::from_json(rest, "fuzz.json")
    } else {
        Record::from_yaml(rest, "fuzz.yaml")
    };
    let Ok(record) = parsed else {
        return;
    };
    let raw: serde_json::Value = serde_json::from_slice(rest).unwrap_or_default();
    let affected = raw["affected"].as_array().cloned().unwrap_or_default();
    for a in affected.iter().take(8) {
        let eco = a["package"]["ecosystem"].as_str().unwrap_or("PyPI");
        let name = a["package"]["name"].as_str().unwrap_or("");
        let mut versions: Vec<String> = a["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .take(8)
            .collect();
        for r in a["ranges"].as_array().into_iter().flatten().take(4) {
            for e in r["events"].as_array().into_iter().flatten().take(8) {
                for k in ["introduced", "fixed", "last_affected", "limit"] {
                    if let Some(v) = e[k].as_str() {
                        versions.push(v.to_string());
                    }
                }
            }
        }
        versions.extend([
            "0".to_string(),
            "1.0.0".into(),
            "v1.2.3-rc.1".into(),
            "1:2.3-4".into(),
        ]);
        for v in &versions {
            if let Ok(Some(_)) = affected_by(&record, &PackageQuery::new(eco, name, v)) {
                assert!(record.withdrawn.is_none(), "a withdrawn record matched");
            }
        }
    }
});
