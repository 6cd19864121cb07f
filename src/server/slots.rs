//! Waiting for a free slot under an attempt limit (`domain::lockout`),
//! shared by the limits kept in the database and the one kept in memory.

use crate::domain::lockout::Refused;
use std::future::Future;
use std::time::Duration;

/// How long an attempt waits for a slot held by attempts still being
/// checked; it looks again after 25 ms, then twice as long each time, so
/// that a burst waiting costs a few looks each.
const WAIT_FOR_SLOT: Duration = Duration::from_secs(2);
const FIRST_POLL: Duration = Duration::from_millis(25);

/// Runs `try_reserve` until it gets a slot or is refused for good. While
/// every slot is held by attempts still being checked (`Refused::Full`) it
/// looks again after 25 ms, then twice as long each time, for up to two
/// seconds; then `Full` stands.
pub async fn until_a_slot<T, E, Fut>(
    mut try_reserve: impl FnMut() -> Fut,
) -> Result<Result<T, Refused>, E>
where
    Fut: Future<Output = Result<Result<T, Refused>, E>>,
{
    let deadline = tokio::time::Instant::now() + WAIT_FOR_SLOT;
    let mut poll = FIRST_POLL;
    loop {
        match try_reserve().await? {
            Err(Refused::Full) if tokio::time::Instant::now() + poll < deadline => {
                tokio::time::sleep(poll).await;
                poll *= 2;
            }
            other => return Ok(other),
        }
    }
}
