//! Primes below LIMIT by a segmented sieve of Eratosthenes: it sieves one block of odd numbers at a
//! time with the base primes up to sqrt(LIMIT), and prints, per block, how many primes it has found,
//! the twin-prime pairs and the largest gap between consecutive primes so far. Under Phantom the sieve
//! is a WASI command whose state lives in linear memory, so it survives kill -9 mid-block (README.md).
//!   primes [LIMIT [BLOCK]]   (default LIMIT 200000000, BLOCK 4000000 numbers)
use std::env;
use std::process;

/// The primes up to `n`, by a plain sieve (n is at most sqrt(LIMIT), small).
fn base_primes(n: u64) -> Vec<u64> {
    let mut composite = vec![false; n as usize + 1];
    let mut primes = Vec::new();
    for i in 2..=n {
        if !composite[i as usize] {
            primes.push(i);
            let mut j = i * i;
            while j <= n {
                composite[j as usize] = true;
                j += i;
            }
        }
    }
    primes
}

fn integer_sqrt(n: u64) -> u64 {
    let mut r = (n as f64).sqrt() as u64;
    while r * r > n {
        r -= 1;
    }
    while (r + 1) * (r + 1) <= n {
        r += 1;
    }
    r
}

/// What the sieve has seen so far.
struct Tally {
    count: u64,
    twins: u64,
    last: u64,
    gap: u64,
    gap_after: u64,
}

impl Tally {
    fn add(&mut self, p: u64) {
        if self.last != 0 {
            let gap = p - self.last;
            if gap == 2 {
                self.twins += 1;
            }
            if gap > self.gap {
                self.gap = gap;
                self.gap_after = self.last;
            }
        }
        self.count += 1;
        self.last = p;
    }
}

fn argument(index: usize, default: u64) -> u64 {
    match env::args().nth(index) {
        None => default,
        Some(text) => text.parse().unwrap_or_else(|_| {
            eprintln!("primes: not a number: {}", text);
            process::exit(2);
        }),
    }
}

fn main() {
    let limit = argument(1, 200_000_000);
    let block = argument(2, 4_000_000).max(2) & !1; // even, so every block starts at an odd number
    let base = base_primes(integer_sqrt(limit));
    let mut tally = Tally { count: 0, twins: 0, last: 0, gap: 0, gap_after: 0 };
    if limit > 2 {
        tally.add(2);
    }
    // odd[i] stands for low + 2i; the block covers [low, low + block).
    let mut odd = vec![false; (block / 2) as usize];
    let mut low = 1;
    while low < limit {
        let high = (low + block).min(limit);
        let len = ((high - low + 1) / 2) as usize;
        odd[..len].iter_mut().for_each(|c| *c = false);
        for &p in base.iter().skip(1) {
            // The first odd multiple of p in the block, never below p * p.
            let mut m = ((low + p - 1) / p * p).max(p * p);
            if m % 2 == 0 {
                m += p;
            }
            while m < high {
                odd[((m - low) / 2) as usize] = true;
                m += 2 * p;
            }
        }
        for i in 0..len {
            let n = low + 2 * i as u64;
            if n > 1 && !odd[i] {
                tally.add(n);
            }
        }
        println!("below {}: {} primes, {} twin pairs, largest gap {} after {}",
                 high, tally.count, tally.twins, tally.gap, tally.gap_after);
        low = high;
    }
    println!("result: {} primes below {}, {} twin pairs, largest gap {} after {}, the last {}",
             tally.count, limit, tally.twins, tally.gap, tally.gap_after, tally.last);
}
