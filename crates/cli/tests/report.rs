//! `relief report` against a real cluster (the testkit's four services over mTLS, on SQLite): the
//! dev PKI layout `relief dev` writes (`pki/ca.pem`, `pki/units/<unit>.{pem,key}`) holds the
//! units' certificates; the command exports a report as the unit `--as` names, writes the file
//! and returns its path; what the service refuses, and what the command cannot do, is an error
//! that says so.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::path::{Path, PathBuf};

use relief_cli::commands::report::{self, FileFormat, ReportName, ReportOptions};
use relief_runtime::Caller;
use relief_testkit::fixtures::instant;
use relief_testkit::fixtures::units::{city_civil_affairs, city_police};
use relief_testkit::{Cluster, TestBackend};

/// Writes `who`'s certificate (and the CA) where `relief dev` keeps them under `data_dir`.
fn install_certificate(cluster: &Cluster, data_dir: &Path, who: &Caller) {
    let material = cluster.pki.client(who);
    let units = data_dir.join("pki").join("units");
    std::fs::create_dir_all(&units).unwrap();
    std::fs::write(data_dir.join("pki").join("ca.pem"), &material.ca_pem).unwrap();
    std::fs::write(units.join(format!("{}.pem", who.unit)), &material.cert_pem).unwrap();
    std::fs::write(units.join(format!("{}.key", who.unit)), &material.key_pem).unwrap();
}

fn options(cluster: &Cluster, data_dir: &Path, report: ReportName) -> ReportOptions {
    ReportOptions {
        report,
        period: Some(report::parse_period("2026-03").unwrap()),
        division: None,
        format: FileFormat::Xlsx,
        out: None,
        unit: report::DEFAULT_UNIT.to_owned(),
        data_dir: data_dir.to_owned(),
        // Reporting is the fourth of four consecutive ports from the base.
        base_port: cluster.addr("reporting").port() - 3,
        insecure: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_is_exported_to_a_file_as_the_unit() {
    let cluster = Cluster::builder()
        .backend(TestBackend::Sqlite)
        .clock_start(instant("2026-03-15T10:00:00+08:00"))
        .start()
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    install_certificate(&cluster, data.path(), &city_civil_affairs());

    // The statistics of March as the city bureau, as CSV, to --out.
    let out: PathBuf = data.path().join("march.csv");
    let written = report::run(&ReportOptions {
        format: FileFormat::Csv,
        out: Some(out.clone()),
        ..options(&cluster, data.path(), ReportName::Statistics)
    })
    .await
    .unwrap();
    assert_eq!(written, out);
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("盘锦市流浪乞讨人员救助管理统计报表（2026年3月，盘锦市）"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("地区,发现报告数,"), "{}", lines[1]);

    // One county's funds of the first quarter as XLSX (a zip file).
    let out = data.path().join("q1.xlsx");
    report::run(&ReportOptions {
        period: Some(report::parse_period("2026Q1").unwrap()),
        division: Some("211103".to_owned()),
        out: Some(out.clone()),
        ..options(&cluster, data.path(), ReportName::Funds)
    })
    .await
    .unwrap();
    assert!(std::fs::read(&out).unwrap().starts_with(b"PK\x03\x04"));

    // A report that needs a period, without one: said before calling.
    let error = report::run(&ReportOptions {
        period: None,
        ..options(&cluster, data.path(), ReportName::Accountability)
    })
    .await
    .unwrap_err();
    assert!(error.to_string().contains("needs --period"), "{error:#}");

    // A unit without a certificate in the data directory: said, with where it was looked for.
    let error = report::run(&ReportOptions {
        unit: "city-police".to_owned(),
        ..options(&cluster, data.path(), ReportName::Statistics)
    })
    .await
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("no certificate for unit city-police"),
        "{error:#}"
    );

    // The police may not export statistics: the service's refusal, and no file.
    install_certificate(&cluster, data.path(), &city_police());
    let out = data.path().join("police.xlsx");
    let error = report::run(&ReportOptions {
        unit: "city-police".to_owned(),
        out: Some(out.clone()),
        ..options(&cluster, data.path(), ReportName::Statistics)
    })
    .await
    .unwrap_err();
    assert!(error.to_string().contains("PermissionDenied"), "{error:#}");
    assert!(!out.exists());

    cluster.stop().await.unwrap();
}
