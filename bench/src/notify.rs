//! What a `NOTIFY` costs PostgreSQL. The bus sends one for each event (or one transaction
//! for a batch, when busy), committed on its own; a commit with notifications takes a
//! database-wide lock, so at once they queue.

use std::io;
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};

/// Bytes in the payload: about what the bus sends for a short post.
pub const PAYLOAD: usize = 300;
/// Connections notifying at once.
pub const CONNECTIONS: usize = 4;
/// Notifications timed one after another.
const SAMPLES: usize = 2_000;

pub struct Cost {
    /// The median time of `SELECT pg_notify(…)` committed alone.
    pub alone_micros: f64,
    /// The median time of the same statement without the notification: its round trip.
    pub round_trip_micros: f64,
    /// Notifications committed per second by [`CONNECTIONS`] connections at once.
    pub concurrent_per_second: f64,
}

/// Measures on the database at `url`, on a channel nobody listens to.
pub async fn cost(url: &str) -> io::Result<Cost> {
    let payload = "x".repeat(PAYLOAD);
    let mut connection = PgConnection::connect(url).await.map_err(io::Error::other)?;
    let round_trip_micros = median(&mut connection, "SELECT $1::text", &payload).await?;
    let notify = "SELECT pg_notify('murmur_bench', $1)";
    let alone_micros = median(&mut connection, notify, &payload).await?;
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let mut connection = PgConnection::connect(url).await.map_err(io::Error::other)?;
        let payload = payload.clone();
        tasks.push(tokio::spawn(async move {
            let mut sent = 0u64;
            while Instant::now() < deadline {
                let query = sqlx::query(notify).bind(&payload);
                query
                    .execute(&mut connection)
                    .await
                    .map_err(io::Error::other)?;
                sent += 1;
            }
            io::Result::Ok(sent)
        }));
    }
    let started = Instant::now();
    let mut sent = 0;
    for task in tasks {
        sent += task.await.map_err(io::Error::other)??;
    }
    Ok(Cost {
        alone_micros,
        round_trip_micros,
        concurrent_per_second: sent as f64 / started.elapsed().as_secs_f64(),
    })
}

/// The median time of `SAMPLES` runs of `statement` with `payload`, each its own
/// transaction, in microseconds.
async fn median(
    connection: &mut PgConnection,
    statement: &'static str,
    payload: &str,
) -> io::Result<f64> {
    let mut times = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let query = sqlx::query(statement).bind(payload);
        query
            .execute(&mut *connection)
            .await
            .map_err(io::Error::other)?;
        times.push(started.elapsed());
    }
    times.sort_unstable();
    Ok(times[SAMPLES / 2].as_secs_f64() * 1e6)
}
