//! Murmur beside nginx+Nchan, its strongest peer, in the same run: the same raw
//! subscribers on the same stream contract, the same posts, one setup right after the other
//! at each size. Absolute times differ between machines; the ratios in one run don't.

use super::fanout::{Change, FanOut, fan_out, flat_out};
use super::server::Server;
use super::{Plan, latencies};

/// What each measured, size by size.
pub struct Beside {
    /// At each of the plan's peer sizes: Murmur's fan-out, then Nchan's.
    fan_outs: Vec<(usize, FanOut, FanOut)>,
    /// Posting flat out to the plan's `flat_out_at`, Murmur's then Nchan's.
    flat_out: (FanOut, FanOut),
}

/// Measures `murmur` and `nchan` alike on the plan.
pub async fn beside(murmur: &Server, nchan: &Server, plan: &Plan) -> std::io::Result<Beside> {
    let mut fan_outs = Vec::new();
    for &count in &plan.peer_at {
        let mut both = Vec::new();
        for server in [murmur, nchan] {
            let rate = plan.posts_per_second;
            both.push(fan_out(server, count, rate, plan.seconds, Change::Post).await?);
        }
        let theirs = both.pop().expect("two");
        fan_outs.push((count, both.pop().expect("two"), theirs));
    }
    let ours = flat_out(murmur, plan.flat_out_at, plan.flat_out_posts).await?;
    let theirs = flat_out(nchan, plan.flat_out_at, plan.flat_out_posts).await?;
    Ok(Beside {
        fan_outs,
        flat_out: (ours, theirs),
    })
}

impl Beside {
    /// What Murmur lost anywhere (Nchan's losses are its own, and shown).
    pub fn murmur_lost(&self) -> u64 {
        let fan_outs: u64 = self.fan_outs.iter().map(|(_, ours, _)| ours.lost).sum();
        fan_outs + self.flat_out.0.lost
    }

    /// Murmur's fan-outs at `sizes`, each of which it was measured at.
    pub fn murmur_at(&self, sizes: &[usize]) -> Vec<FanOut> {
        let mut taken = Vec::new();
        for size in sizes {
            let (_, ours, _) = self
                .fan_outs
                .iter()
                .find(|(count, _, _)| count == size)
                .expect("measured beside Nchan");
            taken.push(ours.clone());
        }
        taken
    }

    pub fn print(&self, plan: &Plan) {
        println!("| beside nginx+Nchan, one run | Murmur | nginx+Nchan | Murmur ÷ Nchan |");
        println!("| --- | --- | --- | --- |");
        for (count, ours, theirs) in &self.fan_outs {
            let ratio = f64::from(ours.percentile(99.0)) / f64::from(theirs.percentile(99.0));
            println!(
                "| {count} subscribers, {} posts/s: latency p50 / p99 / max | {} | {} | p99 {ratio:.2}× |",
                plan.posts_per_second,
                latencies(ours),
                latencies(theirs),
            );
        }
        let (ours, theirs) = &self.flat_out;
        let cell = |report: &FanOut| {
            format!(
                "{:.0} deliveries/s, {} lost",
                report.deliveries_per_second, report.lost
            )
        };
        println!(
            "| {} subscribers, {} posts flat out | {} | {} | {:.2}× |",
            plan.flat_out_at,
            plan.flat_out_posts,
            cell(ours),
            cell(theirs),
            ours.deliveries_per_second / theirs.deliveries_per_second
        );
    }
}
