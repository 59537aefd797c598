# Make sure a PostgreSQL server answers for the tests, starting or installing one if not.
# Tests connect as postgres over 127.0.0.1:5432 (PA_DESK_TEST_PG overrides the URL).

pg_up() {
    if command -v pg_isready >/dev/null; then
        pg_isready -q -h 127.0.0.1 -p 5432 -t 3
    else
        (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
    fi
}

ensure_postgres() {
    if [ -n "${PA_DESK_TEST_PG:-}" ] || pg_up; then return 0; fi
    if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
        apt_install postgresql
        trust_local_connections
    fi
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    say "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_up && return 0; sleep 1; done
    say "PostgreSQL did not start: the PostgreSQL tests will fail"
}

trust_local_connections() {
    # A server this script installed is a throwaway test server: let the tests in
    # over loopback without a password, as on the project's machines.
    local version hba
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    grep -q "pa-desk tests" "$hba" 2>/dev/null && return 0
    as_root sh -c "printf '%s\n' '# pa-desk tests' \
        'host all postgres 127.0.0.1/32 trust' 'host all postgres ::1/128 trust' \
        | cat - '$hba' > '$hba.new' && mv '$hba.new' '$hba'"
}
