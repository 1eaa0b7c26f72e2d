//! Ctrl-C during a run: the first stops the run and keeps what finished
//! (the report is marked partial); the second exits at once.

use lastwill::runner::Interrupt;

pub fn on_ctrl_c(interrupt: Interrupt) {
    let spawned = std::thread::Builder::new()
        .name("ctrl-c".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if tokio::signal::ctrl_c().await.is_err() {
                    return;
                }
                eprintln!("\ninterrupted: finishing with the scenarios done so far (Ctrl-C again to quit now)");
                interrupt.interrupt();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            });
        });
    if let Err(error) = spawned {
        tracing::warn!("cannot watch for Ctrl-C: {error}");
    }
}
