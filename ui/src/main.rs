fn main() {
    altogic_auth_ui::run();
}
