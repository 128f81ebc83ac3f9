-- wrk script: authenticated GET /auth/sessions.
wrk.method = "GET"
wrk.headers["X-Client-Key"] = os.getenv("BENCH_KEY")
wrk.headers["Session"] = os.getenv("BENCH_SESSION")
