//! `xinrong admin load-alerts` loads a batch whole or not at all: a bad row, a missing column or
//! a missing file is refused (exit 2) naming what is wrong.

mod common;

use common::bad;

const HEADER: &str =
    "date,uscc,signal,level,rule,description,evidence,action_en,action_zh,opened,rules";

#[test]
fn a_bad_alerts_file_loads_nothing_and_says_why() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data").display().to_string();
    std::fs::create_dir_all(&data).unwrap();
    let file = d.path().join("alerts.csv");
    let write = |text: &str| std::fs::write(&file, text).unwrap();
    let load = || {
        bad(&[
            "admin",
            "--data-dir",
            &data,
            "load-alerts",
            file.to_str().unwrap(),
        ])
    };
    write(&format!(
        "{HEADER}\n2025-06-30,91350100M000100Y43,model_score,red,r,d,e,a,复核,2025-06-30,x\n\
         2025-06-30,91350100M000100Y43,model_score,purple,r,d,e,a,复核,2025-06-30,x\n"
    ));
    let e = load();
    assert!(
        e.contains("line 3") && e.contains("purple") && e.contains("nothing loaded"),
        "{e}"
    );
    write("uscc,as_of,signal\n91350100M000100Y43,2025-06-30,shortfall\n");
    let e = load();
    assert!(e.contains("no `date` column"), "{e}");
    std::fs::remove_file(&file).unwrap();
    assert!(load().contains("no such file"));
}
