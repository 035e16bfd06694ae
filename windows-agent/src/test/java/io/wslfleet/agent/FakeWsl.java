package io.wslfleet.agent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A scripted {@link Wsl} for fast step tests: answers each call with the handler's result and records it. */
final class FakeWsl implements Wsl {

    interface Handler {
        Result answer(String where, List<String> command) throws WslException;
    }

    final List<String> calls = new ArrayList<>();
    private final Handler handler;
    String version = "2.5.9.0";
    List<Distro> distros = List.of(new Distro("NixOS", "Stopped", 2, true));

    FakeWsl(Handler handler) {
        this.handler = handler;
    }

    static Result ok(String stdout) {
        return new Result(0, stdout, "");
    }

    @Override
    public Result call(Duration timeout, String... args) throws WslException {
        calls.add("wsl " + String.join(" ", args));
        return handler.answer("wsl", List.of(args));
    }

    @Override
    public Result call(String... args) throws WslException {
        return call(Duration.ofSeconds(1), args);
    }

    @Override
    public Result exec(String distro, Duration timeout, String... command) throws WslException {
        calls.add(distro + ": " + String.join(" ", command));
        return handler.answer(distro, List.of(command));
    }

    @Override
    public Result execSystem(String distro, Duration timeout, String... command) throws WslException {
        calls.add("system: " + String.join(" ", command));
        return handler.answer("system", List.of(command));
    }

    @Override
    public Optional<String> wslVersion() {
        return Optional.ofNullable(version);
    }

    @Override
    public String versionText() {
        return version == null ? "" : "WSL version: " + version;
    }

    @Override
    public List<Distro> distros() {
        return distros;
    }
}
