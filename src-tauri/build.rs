fn main() {
    // Sources live in src-tauri/ while tauri.conf.json sits at the root (see shared platform notes).
    tauri_build::try_build(tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*"))
        .expect("tauri build step failed");
}
