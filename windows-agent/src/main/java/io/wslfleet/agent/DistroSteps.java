package io.wslfleet.agent;

import java.time.Clock;

/** The steps on the distro, wired on one {@link Wsl}. */
final class DistroSteps {

    final Wsl wsl;
    final HealthProbe health;
    final InventoryProbe inventory;
    final Installer installer;
    final Upgrade upgrade;
    final Rollback rollback;
    final ChangeRecovery recovery;

    DistroSteps(AgentConfig config, Wsl wsl, AgentState state, Clock clock) {
        this.wsl = wsl;
        Generations generations = new Generations(wsl, config.wslTimeout());
        this.health = new HealthProbe(wsl, generations, config.wslTimeout(), config.verifyTimeout(), clock);
        this.inventory = new InventoryProbe(config, wsl, generations, state.staging());
        ReleaseFetcher fetcher = new ReleaseFetcher(config.trustedKeys(), state.staging());
        this.installer = new Installer(wsl, fetcher, health, state);
        this.rollback = new Rollback(wsl, generations, health, config.wslTimeout());
        Backups backups = new Backups(wsl, state.backups(), config.wslTimeout(), clock);
        Reimport reimport = new Reimport(wsl, installer, health, backups, state);
        this.upgrade = new Upgrade(wsl, fetcher, installer,
                new InPlaceUpgrade(wsl, generations, health, rollback, state, config.wslTimeout()), reimport, backups,
                health);
        this.recovery = new ChangeRecovery(wsl, generations, health, rollback, reimport, config.wslTimeout());
    }
}
