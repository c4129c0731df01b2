//! The qualification conditions of plan §二(一)4. Malformed evidence (a date that is no date, a
//! record without its reference) is a field violation; a condition the evidence does not meet (a
//! missing document, operating under a year, a rule not adopted, a document already expired) is
//! an unmet condition: all of them are reported together as one INSTITUTION_NOT_QUALIFIED.

use chrono::{Months, NaiveDate};
use relief_proto::foster::v1 as pb;
use relief_runtime::validate::Violations;

/// The longest number, reference or premises text accepted, in characters.
const MAX_REFERENCE: usize = 200;

/// How long an institution must have operated before it is registered [plan §二(一)4].
const MIN_OPERATING_MONTHS: u32 = 12;

/// The expiring documents of a qualification: (kind, proto field name, document).
pub fn documents(
    qualification: &pb::Qualification,
) -> [(pb::DocumentKind, &'static str, Option<&pb::Document>); 3] {
    [
        (
            pb::DocumentKind::LegalPerson,
            "legal_person",
            qualification.legal_person.as_ref(),
        ),
        (
            pb::DocumentKind::ServiceQualification,
            "service_qualification",
            qualification.service_qualification.as_ref(),
        ),
        (
            pb::DocumentKind::FoodBusinessLicence,
            "food_business_licence",
            qualification.food_business_licence.as_ref(),
        ),
    ]
}

/// The document of `kind` in `qualification`, mutable.
pub fn document_mut(
    qualification: &mut pb::Qualification,
    kind: pb::DocumentKind,
) -> Option<&mut Option<pb::Document>> {
    match kind {
        pb::DocumentKind::LegalPerson => Some(&mut qualification.legal_person),
        pb::DocumentKind::ServiceQualification => Some(&mut qualification.service_qualification),
        pb::DocumentKind::FoodBusinessLicence => Some(&mut qualification.food_business_licence),
        pb::DocumentKind::Unspecified => None,
    }
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// The expiring documents of a stored (checked) qualification with their last valid day.
pub fn expiries(qualification: &pb::Qualification) -> Vec<(pb::DocumentKind, NaiveDate)> {
    documents(qualification)
        .into_iter()
        .filter_map(|(kind, _, document)| {
            document
                .and_then(|document| parse_date(&document.expires_on))
                .map(|date| (kind, date))
        })
        .collect()
}

/// The earliest last valid day among the documents, YYYY-MM-DD (empty if none expires).
pub fn earliest(qualification: &pb::Qualification) -> String {
    expiries(qualification)
        .into_iter()
        .map(|(_, date)| date)
        .min()
        .map(|date| date.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Checks `given` on decision day `today`: malformed fields go to `check`, unmet conditions
/// (`field: what`) to the returned list. Returns the trimmed qualification to store.
pub fn check(
    given: Option<&pb::Qualification>,
    today: NaiveDate,
    check: &mut Violations,
) -> (pb::Qualification, Vec<String>) {
    let given = given.cloned().unwrap_or_default();
    let mut unmet = Vec::new();
    let mut stored = pb::Qualification::default();

    for (kind, field, document) in documents(&given) {
        let document = document.cloned().unwrap_or_default();
        let number =
            check.optional_text(&format!("{field}.number"), &document.number, MAX_REFERENCE);
        let expires_on = document.expires_on.trim().to_owned();
        if number.is_empty() {
            unmet.push(format!("{field}: missing"));
            continue;
        }
        if expires_on.is_empty() {
            if kind != pb::DocumentKind::LegalPerson {
                check.add(&format!("{field}.expires_on"), "is required (YYYY-MM-DD)");
            }
        } else {
            match parse_date(&expires_on) {
                None => check.add(&format!("{field}.expires_on"), "must be a date YYYY-MM-DD"),
                Some(date) if date < today => {
                    unmet.push(format!("{field}: expired on {expires_on}"));
                }
                Some(_) => {}
            }
        }
        let document = Some(pb::Document { number, expires_on });
        match kind {
            pb::DocumentKind::LegalPerson => stored.legal_person = document,
            pb::DocumentKind::ServiceQualification => stored.service_qualification = document,
            _ => stored.food_business_licence = document,
        }
    }

    stored.fixed_premises =
        check.optional_text("fixed_premises", &given.fixed_premises, MAX_REFERENCE);
    if stored.fixed_premises.is_empty() {
        unmet.push("fixed_premises: missing".to_owned());
    }

    stored.operating_since = given.operating_since.trim().to_owned();
    if stored.operating_since.is_empty() {
        unmet.push("operating_since: not stated".to_owned());
    } else {
        match parse_date(&stored.operating_since) {
            None => check.add("operating_since", "must be a date YYYY-MM-DD"),
            Some(since) => {
                let year_on = since.checked_add_months(Months::new(MIN_OPERATING_MONTHS));
                if year_on.is_none_or(|year_on| year_on > today) {
                    unmet.push(format!(
                        "operating_since: operating less than one year (since {since}, decided \
                         {today})"
                    ));
                }
            }
        }
    }

    let fire = given.fire_safety.clone().unwrap_or_default();
    match pb::FireSafetyKind::try_from(fire.kind) {
        Err(_) => check.add("fire_safety.kind", "is not a known value"),
        Ok(pb::FireSafetyKind::Unspecified) => unmet.push("fire_safety: no record".to_owned()),
        Ok(_) => {
            let reference =
                check.required_text("fire_safety.reference", &fire.reference, MAX_REFERENCE);
            let dated_on = fire.dated_on.trim().to_owned();
            if parse_date(&dated_on).is_none() {
                check.add("fire_safety.dated_on", "must be a date YYYY-MM-DD");
            }
            stored.fire_safety = Some(pb::FireSafety {
                kind: fire.kind,
                reference,
                dated_on,
            });
        }
    }

    let rules = given.internal_rules.clone().unwrap_or_default();
    let mut stored_rules = pb::InternalRules::default();
    for (field, rule, slot) in [
        ("management", rules.management, &mut stored_rules.management),
        (
            "finance_and_accounting",
            rules.finance_and_accounting,
            &mut stored_rules.finance_and_accounting,
        ),
        (
            "emergencies",
            rules.emergencies,
            &mut stored_rules.emergencies,
        ),
        (
            "information_reporting",
            rules.information_reporting,
            &mut stored_rules.information_reporting,
        ),
    ] {
        let rule = rule.unwrap_or_default();
        if rule.adopted {
            let reference = check.required_text(
                &format!("internal_rules.{field}.document_reference"),
                &rule.document_reference,
                MAX_REFERENCE,
            );
            *slot = Some(pb::InternalRule {
                adopted: true,
                document_reference: reference,
            });
        } else {
            unmet.push(format!("internal_rules.{field}: not adopted"));
        }
    }
    stored.internal_rules = Some(stored_rules);
    (stored, unmet)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn every_unmet_condition_is_listed() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let mut violations = Violations::new();
        let (_, unmet) = check(None, today, &mut violations);
        assert!(violations.finish().is_ok());
        assert_eq!(unmet.len(), 10, "{unmet:?}");
    }
}
