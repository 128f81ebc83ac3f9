//! The cost of one argon2id hash at the production parameters (m=19 MiB, t=2, p=1): the floor
//! under sign-in and sign-up latency, to compare with the load benchmark of the running server.

use criterion::{criterion_group, criterion_main, Criterion};

fn argon2id(c: &mut Criterion) {
    let mut group = c.benchmark_group("argon2id_owasp");
    group.sample_size(20);
    group.bench_function("hash", |b| b.iter(|| altogic_local::crypto::hash_password_once("correct horse battery staple")));
    group.finish();
}

criterion_group!(benches, argon2id);
criterion_main!(benches);
