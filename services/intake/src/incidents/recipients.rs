//! Who is told about an incident or suspected abuse, and who hears when they do not acknowledge
//! (DOMAIN.md "Deadlines and escalations", row "incident / abuse notification").

use chrono::{DateTime, Utc};
use relief_runtime::db::Tx;
use relief_runtime::notifications::{self, NewNotification};
use relief_runtime::units::Unit;
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext};

use crate::units;

/// The city civil-affairs bureau (牵头单位: escalations of both kinds go to it).
const CITY_CIVIL_AFFAIRS: &str = "city-civil-affairs";
/// The city government.
const CITY_GOVERNMENT: &str = "city-government";
/// The city police bureau.
const CITY_POLICE_BUREAU: &str = "city-police-bureau";
/// A county-level civil-affairs bureau.
const COUNTY_CIVIL_AFFAIRS: &str = "county-civil-affairs";
/// A county-level government.
const COUNTY_GOVERNMENT: &str = "county-government";
/// Police units doing DNA or face comparison: not the addressee of a report.
const IDENTITY_UNIT: &str = "identity-unit";

fn with_role(context: &ServiceContext, role: &str) -> Vec<Caller> {
    context.units.with_role(role).map(Unit::caller).collect()
}

/// Whether `division` is the city's own (市本级): the city civil-affairs bureau's division.
fn is_city_division(context: &ServiceContext, division: &str) -> bool {
    context
        .units
        .with_role(CITY_CIVIL_AFFAIRS)
        .any(|unit| unit.division == division)
}

/// The units told of an incident of a case of `division`: the county civil-affairs bureau and
/// the county government of the division, and the city civil-affairs bureau; for a case of the
/// city station (the city's own division), the city bureau and the city government.
pub fn incident_recipients(context: &ServiceContext, division: &str) -> Vec<Caller> {
    let mut recipients = if is_city_division(context, division) {
        let mut city = with_role(context, CITY_CIVIL_AFFAIRS);
        city.extend(with_role(context, CITY_GOVERNMENT));
        city
    } else {
        let mut county = units::with_role_in(context, COUNTY_CIVIL_AFFAIRS, division);
        county.extend(units::with_role_in(context, COUNTY_GOVERNMENT, division));
        county.extend(with_role(context, CITY_CIVIL_AFFAIRS));
        county
    };
    dedup(&mut recipients);
    recipients
}

/// Who hears of an incident notification left unacknowledged: the city civil-affairs bureau.
pub fn incident_escalation(context: &ServiceContext) -> Vec<Caller> {
    with_role(context, CITY_CIVIL_AFFAIRS)
}

/// The police told of suspected abuse in `division`: for the city's own division the city
/// police bureau; otherwise the police units of the division (identity units aside); where
/// there are none, the city police bureau.
///
/// (The city's own division holds several specialised units — forensics, face comparison,
/// traffic — that are not the addressee of an abuse report: the city bureau is.)
pub fn abuse_recipients(context: &ServiceContext, division: &str) -> Vec<Caller> {
    let bureau = with_role(context, CITY_POLICE_BUREAU);
    if bureau.iter().any(|unit| unit.division == division) {
        return bureau;
    }
    let mut local: Vec<Caller> = context
        .units
        .iter()
        .filter(|unit| {
            unit.kind == CallerKind::Police
                && unit.division == division
                && !unit.roles.iter().any(|role| role == IDENTITY_UNIT)
        })
        .map(Unit::caller)
        .collect();
    dedup(&mut local);
    if local.is_empty() { bureau } else { local }
}

/// Who hears of an abuse notification left unacknowledged: the city police bureau and the city
/// civil-affairs bureau.
pub fn abuse_escalation(context: &ServiceContext) -> Vec<Caller> {
    let mut units = with_role(context, CITY_POLICE_BUREAU);
    units.extend(with_role(context, CITY_CIVIL_AFFAIRS));
    dedup(&mut units);
    units
}

fn dedup(units: &mut Vec<Caller>) {
    let mut seen = std::collections::HashSet::new();
    units.retain(|unit| seen.insert(unit.unit.clone()));
}

/// What to tell every recipient.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: &'static str,
    pub subject: String,
    pub division: String,
    pub summary: String,
    pub acknowledge_by: DateTime<Utc>,
}

/// Issues `notice` to each recipient, each with its own acknowledgement deadline escalating to
/// `escalate_to` less the recipient itself (a unit is not escalated to about its own
/// silence; reporting still shows its notification overdue); returns the ids in recipient
/// order.
pub async fn issue(
    context: &ServiceContext,
    tx: &mut Tx,
    notice: &Notice,
    recipients: &[Caller],
    escalate_to: &[Caller],
) -> Result<Vec<String>, ApiError> {
    let mut ids = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        let escalate_to = escalate_to
            .iter()
            .filter(|unit| unit.unit != recipient.unit)
            .cloned()
            .collect();
        ids.extend(
            notifications::issue(
                context,
                tx,
                &NewNotification {
                    kind: notice.kind.to_owned(),
                    subject: notice.subject.clone(),
                    division: notice.division.clone(),
                    summary: notice.summary.clone(),
                    recipients: vec![recipient.clone()],
                    acknowledge_by: notice.acknowledge_by,
                    escalate_to,
                    escalation_of: None,
                },
            )
            .await?,
        );
    }
    Ok(ids)
}
