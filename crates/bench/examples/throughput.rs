//! Only the throughput run of `causeway bench correlation`, for profiling.
//!
//! `cargo run --release -p causeway-bench --example throughput`

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    print!("{}", causeway_bench::correlation::perf::performance(10_000));
}
