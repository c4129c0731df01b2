//! The one source of "now" in a process.
//!
//! Production reads the system clock. A dev clock (`--dev-clock[=START]`, never on by default)
//! runs at real speed from START (any instant, past ones included) and can be moved forward, never
//! back, through `relief.admin.v1.ClockService`; its offset from the system clock is persisted in
//! the data directory, so a restart keeps the time it had reached. Every move wakes whoever waits
//! on [`Clock::changed`], so deadline sweepers fire at once instead of at their next poll.
//! In `relief dev` the four services share one `Clock`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::watch;

/// The file, in the data directory, holding a dev clock's offset (microseconds).
pub const DEV_CLOCK_FILE: &str = "dev-clock-offset";

/// Why a dev clock could not be made or moved.
#[derive(Debug, thiserror::Error)]
pub enum ClockError {
    /// The clock is the system clock.
    #[error("this process runs on the system clock; start it with --dev-clock to move time")]
    NotDev,
    /// Time may only move forward.
    #[error("the clock cannot go back: it is {now} and {requested} is earlier")]
    Backwards {
        /// The current time.
        now: DateTime<Utc>,
        /// The requested time.
        requested: DateTime<Utc>,
    },
    /// The requested time is past [`latest`].
    #[error("the clock cannot go past 9999-01-01")]
    TooLate,
    /// The START instant is not RFC 3339.
    #[error("dev clock start {0:?} is not an RFC 3339 instant (e.g. 2026-01-15T09:00:00+08:00)")]
    BadStart(String),
    /// The offset file could not be read or written.
    #[error("dev clock offset file {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

#[derive(Debug)]
struct DevState {
    offset_micros: AtomicI64,
    file: Option<PathBuf>,
    // Serialises moves so the persisted offset is the last one applied.
    moving: std::sync::Mutex<()>,
}

#[derive(Debug)]
struct Inner {
    dev: Option<DevState>,
    changed: watch::Sender<u64>,
}

/// The process clock; cheap to clone, all clones share one time.
#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock {
            inner: Arc::new(Inner {
                dev: None,
                changed: watch::channel(0).0,
            }),
        }
    }

    /// A dev clock. With an offset file that exists, its offset wins (a restart keeps the time);
    /// otherwise the clock starts at `start` (now when `None`) and the offset is written there.
    pub fn dev(start: Option<DateTime<Utc>>, file: Option<PathBuf>) -> Result<Clock, ClockError> {
        let persisted = match &file {
            Some(path) if path.exists() => Some(read_offset(path)?),
            _ => None,
        };
        let offset = match persisted {
            Some(offset) => offset,
            None => start.map_or(0, |start| micros(start - Utc::now())),
        };
        let clock = Clock {
            inner: Arc::new(Inner {
                dev: Some(DevState {
                    offset_micros: AtomicI64::new(offset),
                    file,
                    moving: std::sync::Mutex::new(()),
                }),
                changed: watch::channel(0).0,
            }),
        };
        if persisted.is_none() {
            clock.persist(offset)?;
        }
        Ok(clock)
    }

    /// Builds the clock a configuration asks for: `dev_clock` unset → system; `""` → dev from
    /// now; an RFC 3339 instant → dev from then. The offset lives in `data_dir`.
    pub fn from_config(config: &crate::config::ServiceConfig) -> Result<Clock, ClockError> {
        match config.dev_clock.as_deref() {
            None => Ok(Clock::system()),
            Some(start) => {
                let start = parse_start(start)?;
                Clock::dev(start, Some(config.data_dir.join(DEV_CLOCK_FILE)))
            }
        }
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        match &self.inner.dev {
            None => now,
            Some(dev) => now + Duration::microseconds(dev.offset_micros.load(Ordering::Acquire)),
        }
    }

    /// Whether this is a dev clock.
    pub fn is_dev(&self) -> bool {
        self.inner.dev.is_some()
    }

    /// Moves a dev clock to `to`; refused if `to` is earlier than now or later than
    /// [`latest`] (stored instants must keep sorting as text on SQLite).
    pub fn set(&self, to: DateTime<Utc>) -> Result<DateTime<Utc>, ClockError> {
        self.move_to(|_| Some(to))
    }

    /// Moves a dev clock forward by `by` (which must not be negative).
    pub fn advance(&self, by: Duration) -> Result<DateTime<Utc>, ClockError> {
        if by < Duration::zero() {
            let now = self.now();
            return Err(ClockError::Backwards {
                now,
                requested: now.checked_add_signed(by).unwrap_or(now),
            });
        }
        self.move_to(|now| now.checked_add_signed(by))
    }

    /// Moves the clock to `target(now)`, reading `now` under the same lock as the move, so two
    /// concurrent moves never see each other as going back.
    fn move_to(
        &self,
        target: impl FnOnce(DateTime<Utc>) -> Option<DateTime<Utc>>,
    ) -> Result<DateTime<Utc>, ClockError> {
        let dev = self.inner.dev.as_ref().ok_or(ClockError::NotDev)?;
        let _moving = dev
            .moving
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = self.now();
        let to = target(now)
            .filter(|to| *to <= latest())
            .ok_or(ClockError::TooLate)?;
        if to < now {
            return Err(ClockError::Backwards { now, requested: to });
        }
        let offset = dev.offset_micros.load(Ordering::Acquire) + micros(to - now);
        self.persist(offset)?;
        dev.offset_micros.store(offset, Ordering::Release);
        self.inner
            .changed
            .send_modify(|generation| *generation += 1);
        tracing::info!(now = %to, "dev clock moved");
        Ok(to)
    }

    /// A receiver that changes whenever the clock is moved: sweepers wait on it beside their
    /// poll interval.
    pub fn changed(&self) -> watch::Receiver<u64> {
        self.inner.changed.subscribe()
    }

    fn persist(&self, offset: i64) -> Result<(), ClockError> {
        let Some(path) = self.inner.dev.as_ref().and_then(|dev| dev.file.as_ref()) else {
            return Ok(());
        };
        let error = |e: std::io::Error| ClockError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(error)?;
        }
        // Write then rename, so a crash never leaves a half-written offset.
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, offset.to_string()).map_err(error)?;
        std::fs::rename(&temporary, path).map_err(error)
    }
}

/// The latest time a dev clock may show: stored instants must keep four-digit years.
pub fn latest() -> DateTime<Utc> {
    chrono::TimeZone::with_ymd_and_hms(&Utc, 9999, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn micros(duration: Duration) -> i64 {
    duration.num_microseconds().unwrap_or(i64::MAX)
}

fn read_offset(path: &std::path::Path) -> Result<i64, ClockError> {
    let text = std::fs::read_to_string(path).map_err(|e| ClockError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    text.trim().parse().map_err(|_| ClockError::File {
        path: path.display().to_string(),
        message: "does not hold an integer offset".to_owned(),
    })
}

/// Parses a START: empty means "now".
pub fn parse_start(start: &str) -> Result<Option<DateTime<Utc>>, ClockError> {
    if start.trim().is_empty() {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(start.trim())
        .map(|instant| Some(instant.with_timezone(&Utc)))
        .map_err(|_| ClockError::BadStart(start.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_dev_clock_starts_in_the_past_and_only_moves_forward() {
        let clock = Clock::dev(Some(at("2026-01-15T09:00:00+08:00")), None).unwrap();
        let now = clock.now();
        assert!(now >= at("2026-01-15T09:00:00+08:00") && now < at("2026-01-16T00:00:00+08:00"));
        let later = clock.set(at("2026-02-24T12:00:00+08:00")).unwrap();
        assert!(clock.now() >= later);
        assert!(matches!(
            clock.set(at("2026-01-01T00:00:00+08:00")),
            Err(ClockError::Backwards { .. })
        ));
        assert!(matches!(
            clock.advance(Duration::hours(-1)),
            Err(ClockError::Backwards { .. })
        ));
        assert!(clock.now() >= later);
    }

    #[test]
    fn the_system_clock_cannot_be_moved() {
        let clock = Clock::system();
        assert!(matches!(
            clock.advance(Duration::days(1)),
            Err(ClockError::NotDev)
        ));
    }

    #[test]
    fn a_restart_keeps_the_time_reached() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(DEV_CLOCK_FILE);
        let clock = Clock::dev(Some(at("2026-01-15T09:00:00+08:00")), Some(file.clone())).unwrap();
        clock.set(at("2026-03-01T00:00:00+08:00")).unwrap();
        // Restarted with the original START: the persisted offset wins.
        let restarted = Clock::dev(Some(at("2026-01-15T09:00:00+08:00")), Some(file)).unwrap();
        assert!(restarted.now() >= at("2026-03-01T00:00:00+08:00"));
    }

    #[test]
    fn moving_the_clock_wakes_waiters() {
        let clock = Clock::dev(None, None).unwrap();
        let changed = clock.changed();
        clock.advance(Duration::days(3)).unwrap();
        assert!(changed.has_changed().unwrap());
    }
}
