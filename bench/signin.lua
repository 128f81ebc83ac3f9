-- wrk script: POST /auth/signin-email with a valid account (created by scripts/bench.sh).
wrk.method = "POST"
wrk.body = '{"email":"bench@example.com","password":"bench password 123"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Client-Key"] = os.getenv("BENCH_KEY")
