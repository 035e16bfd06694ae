package io.wslfleet.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.FileHandler;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import io.wslfleet.protocol.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code windows-agent run|status|install|uninstall}: configured by {@code agent.properties} and environment
 * variables, see {@link AgentConfig}.
 */
@Command(name = "windows-agent", mixinStandardHelpOptions = true,
        subcommands = {AgentMain.Run.class, AgentMain.Status.class, AgentMain.Install.class, AgentMain.Uninstall.class},
        description = "The WSL Fleet agent: installs, upgrades, verifies and rolls back the NixOS distro through wsl.exe.")
public final class AgentMain {

    public static void main(String[] args) {
        System.exit(new CommandLine(new AgentMain()).execute(args));
    }

    /** A rotating log in the state directory: logs/agent.0.log … agent.4.log, 5 MB each. */
    static void logToStateDir(Path stateDir) throws IOException {
        Path logs = stateDir.resolve("logs");
        Files.createDirectories(logs);
        FileHandler handler = new FileHandler(logs.resolve("agent.%g.log").toString(), 5 * 1024 * 1024, 5, true);
        handler.setFormatter(new SimpleFormatter());
        Logger.getLogger("").addHandler(handler);
    }

    @Command(name = "run", description = "Run until stopped: register, heartbeat, execute commands.")
    static final class Run implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            AgentConfig config;
            Agent agent;
            try {
                config = AgentConfig.load(System.getenv());
                logToStateDir(config.stateDir());
                agent = new Agent(config).start();
            } catch (IllegalArgumentException | IllegalStateException e) {
                // a setting missing or wrong, an identity key unreadable: say which, and do not start
                System.err.println("windows-agent: cannot start: " + e.getMessage());
                return 2;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Agent running = agent;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                running.close();
                stopped.countDown();
            }, "agent-shutdown"));
            System.out.println("agent " + config.agentId() + " running as key " + agent.keyId() + " (wsl.exe: "
                    + config.wslPath() + ")");
            stopped.await();
            return 0;
        }
    }

    @Command(name = "status", description = "Print what this agent would report: inventory and health.")
    static final class Status implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            AgentConfig config = AgentConfig.load(System.getenv());
            var state = new AgentState(config.stateDir());
            var steps = new DistroSteps(config, new WslDriver(config.wslPath(), config.wslTimeout()), state,
                    java.time.Clock.systemUTC());
            var out = new java.util.LinkedHashMap<String, Object>();
            out.put("agentId", config.agentId());
            out.put("inventory", steps.inventory.take());
            out.put("health", steps.health.probe(config.distroName()));
            System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(out));
            return 0;
        }
    }

    /** Where schtasks.exe is and what the task is called: shared by install and uninstall. */
    static class TaskOptions {
        @Option(names = "--schtasks", description = "schtasks.exe to use (default: %SystemRoot%\\System32\\schtasks.exe)")
        Path schtasks;

        @Option(names = "--task-name", description = "the scheduled task's name (default: " + ScheduledTask.DEFAULT_NAME + ")")
        String taskName = ScheduledTask.DEFAULT_NAME;

        ScheduledTask task(Map<String, String> env) {
            Path exe = schtasks != null ? schtasks
                    : Path.of(env.getOrDefault("SystemRoot", "C:\\Windows"), "System32", "schtasks.exe");
            return new ScheduledTask(exe, taskName);
        }
    }

    @Command(name = "install", description = "Register the agent as this user's logon task (schtasks.exe /Create /XML).")
    static final class Install extends TaskOptions implements Callable<Integer> {
        @Option(names = "--user", description = "DOMAIN\\user the task runs as (default: %USERDOMAIN%\\%USERNAME%)")
        String user;

        @Option(names = "--launcher", description = "a bundled launcher (jpackage's WslFleetAgent.exe, JVM settings "
                + "built in) the task starts with just 'run'; instead of --java/--jar")
        String launcher;

        @Option(names = "--java", description = "the java(w).exe the task starts (default: this runtime's javaw.exe)")
        String java;

        @Option(names = "--jar", description = "the agent's jar (default: the one running)")
        String jar;

        @Override
        public Integer call() throws Exception {
            Map<String, String> env = System.getenv();
            AgentConfig.merged(env); // a broken configuration file fails here, not at the next logon
            Path state = env.containsKey("FLEET_AGENT_STATE_DIR") ? Path.of(env.get("FLEET_AGENT_STATE_DIR"))
                    : AgentConfig.defaultStateDir(env);
            String who = user != null ? user : env.getOrDefault("USERDOMAIN", env.getOrDefault("HOSTNAME", "."))
                    + "\\" + env.getOrDefault("USERNAME", env.getOrDefault("USER", "user"));
            String message = task(env).install(who, action(state), state.resolve("agent-task.xml"));
            System.out.println(message);
            return 0;
        }

        private ScheduledTask.Action action(Path state) throws Exception {
            if (launcher != null) {
                return new ScheduledTask.Action(launcher, List.of("run"), state.toString());
            }
            String javaExe = java;
            if (javaExe == null) {
                Path bin = Path.of(System.getProperty("java.home"), "bin");
                javaExe = Files.exists(bin.resolve("javaw.exe")) ? bin.resolve("javaw.exe").toString()
                        : bin.resolve("java").toString();
            }
            String jarPath = jar != null ? jar
                    : Path.of(AgentMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
            List<String> args = new ArrayList<>(LaunchDefaults.JVM_OPTIONS);
            args.addAll(List.of("-jar", jarPath, "run"));
            return new ScheduledTask.Action(javaExe, args, state.toString());
        }
    }

    @Command(name = "uninstall", description = "Remove this user's logon task (the state directory stays).")
    static final class Uninstall extends TaskOptions implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            System.out.println(task(System.getenv()).uninstall());
            return 0;
        }
    }
}
