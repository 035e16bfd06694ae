package io.wslfleet.agent;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the agent asks of {@code wsl.exe}. {@link WslDriver} runs the real program; step tests use a fake. Two kinds
 * of call, kept apart because wsl.exe reports them differently: a wsl.exe-level call ({@link #call}, no Linux
 * command) has failed whenever it exits non-zero, with or without an {@code Error code:} line; a Linux command
 * ({@link #exec}, {@link #execSystem}) passes its exit code through and only wsl.exe's code line is a wsl failure.
 */
public interface Wsl {

    /** A finished call: exit status, decoded stdout and stderr. */
    record Result(int exitCode, String stdout, String stderr) {
    }

    /** A row of {@code wsl -l -v}. */
    record Distro(String name, String state, int version, boolean isDefault) {
    }

    Result call(Duration timeout, String... args) throws WslException;

    Result call(String... args) throws WslException;

    /** Runs a Linux program as root in the distro, its arguments exactly as given. */
    Result exec(String distro, Duration timeout, String... command) throws WslException;

    /** Runs a Linux program as root in WSL's system distro, where the distro's root is {@code /mnt/wslg/distro}. */
    Result execSystem(String distro, Duration timeout, String... command) throws WslException;

    /** {@code wsl --version}'s WSL version; empty on inbox WSL, where the option does not exist. */
    Optional<String> wslVersion() throws WslException;

    /** The whole {@code wsl --version} text, or empty. */
    String versionText();

    List<Distro> distros() throws WslException;

    default Optional<Distro> distro(String name) throws WslException {
        return distros().stream().filter(d -> d.name().equalsIgnoreCase(name)).findFirst();
    }

    default Optional<String> kernelVersion() {
        var m = java.util.regex.Pattern.compile("(?m)^Kernel[^:\\n]*:\\s*(\\S+)").matcher(versionText());
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
