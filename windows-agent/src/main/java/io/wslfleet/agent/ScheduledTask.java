package io.wslfleet.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The agent's per-user logon task, registered with {@code schtasks.exe /Create /XML} (Task Scheduler schema 1.2):
 * started at the user's logon (WSL refuses LocalSystem, and distros belong to the user), hidden, no execution time
 * limit ({@code PT0S}), restarted every minute after a failure, one instance.
 */
final class ScheduledTask {

    static final String DEFAULT_NAME = "WSL Fleet Agent";

    /** What the task runs. */
    record Action(String command, List<String> arguments, String workingDirectory) {
    }

    private final Path schtasks;
    private final String name;

    ScheduledTask(Path schtasks, String name) {
        this.schtasks = schtasks;
        this.name = name;
    }

    /** Writes the XML next to the state and registers it, replacing an older registration ({@code /F}). */
    String install(String user, Action action, Path xmlFile) throws IOException, InterruptedException {
        Files.createDirectories(xmlFile.getParent());
        // Task Scheduler reads the file's encoding from its BOM; UTF-16LE with BOM is what it writes itself
        byte[] body = xml(user, action).getBytes(StandardCharsets.UTF_16LE);
        byte[] withBom = new byte[body.length + 2];
        withBom[0] = (byte) 0xff;
        withBom[1] = (byte) 0xfe;
        System.arraycopy(body, 0, withBom, 2, body.length);
        Files.write(xmlFile, withBom);
        return run("/Create", "/TN", name, "/XML", xmlFile.toString(), "/F");
    }

    String uninstall() throws IOException, InterruptedException {
        return run("/Delete", "/TN", name, "/F");
    }

    String xml(String user, Action action) {
        StringBuilder args = new StringBuilder();
        for (String a : action.arguments()) {
            if (!args.isEmpty()) {
                args.append(' ');
            }
            args.append(a.contains(" ") ? "\"" + a + "\"" : a);
        }
        return """
                <?xml version="1.0" encoding="UTF-16"?>
                <Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
                  <RegistrationInfo>
                    <Description>WSL Fleet agent: keeps this user's NixOS distro on a healthy generation.</Description>
                    <URI>\\%1$s</URI>
                  </RegistrationInfo>
                  <Triggers>
                    <LogonTrigger>
                      <Enabled>true</Enabled>
                      <UserId>%2$s</UserId>
                    </LogonTrigger>
                  </Triggers>
                  <Principals>
                    <Principal id="Author">
                      <UserId>%2$s</UserId>
                      <LogonType>InteractiveToken</LogonType>
                      <RunLevel>LeastPrivilege</RunLevel>
                    </Principal>
                  </Principals>
                  <Settings>
                    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
                    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
                    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
                    <StartWhenAvailable>true</StartWhenAvailable>
                    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
                    <Hidden>true</Hidden>
                    <RestartOnFailure>
                      <Interval>PT1M</Interval>
                      <Count>999</Count>
                    </RestartOnFailure>
                    <Enabled>true</Enabled>
                  </Settings>
                  <Actions Context="Author">
                    <Exec>
                      <Command>%3$s</Command>
                      <Arguments>%4$s</Arguments>
                      <WorkingDirectory>%5$s</WorkingDirectory>
                    </Exec>
                  </Actions>
                </Task>
                """.formatted(escape(name), escape(user), escape(action.command()), escape(args.toString()),
                escape(action.workingDirectory()));
    }

    private String run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(schtasks.toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(Duration.ofSeconds(60).toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException("schtasks.exe " + args[0] + " did not finish within 60 s");
        }
        String text = WslDriver.decode(out).trim();
        if (p.exitValue() != 0) {
            throw new IOException("schtasks.exe " + String.join(" ", args) + " exited " + p.exitValue() + ": " + text);
        }
        return text;
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
