package io.wslfleet.agent;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.wslfleet.protocol.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code windows-agent run|status}: configured by environment variables, see {@link AgentConfig}. */
@Command(name = "windows-agent", mixinStandardHelpOptions = true,
        subcommands = {AgentMain.Run.class, AgentMain.Status.class},
        description = "The WSL Fleet agent: installs, upgrades, verifies and rolls back the NixOS distro through wsl.exe.")
public final class AgentMain {

    public static void main(String[] args) {
        System.exit(new CommandLine(new AgentMain()).execute(args));
    }

    @Command(name = "run", description = "Run until stopped: register, heartbeat, execute commands.")
    static final class Run implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            AgentConfig config = AgentConfig.fromEnv(System.getenv());
            CountDownLatch stopped = new CountDownLatch(1);
            Agent agent = new Agent(config).start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                agent.close();
                stopped.countDown();
            }, "agent-shutdown"));
            System.out.println("agent " + config.agentId() + " running (wsl.exe: " + config.wslPath() + ")");
            stopped.await();
            return 0;
        }
    }

    @Command(name = "status", description = "Print what this agent would report: inventory and health.")
    static final class Status implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            AgentConfig config = AgentConfig.fromEnv(System.getenv());
            var state = new AgentState(config.stateDir());
            var ops = new DistroOps(config, new WslDriver(config.wslPath(), config.wslTimeout()), state,
                    java.time.Clock.systemUTC());
            var out = new java.util.LinkedHashMap<String, Object>();
            out.put("agentId", config.agentId());
            out.put("inventory", ops.inventory());
            out.put("health", ops.health(config.distroName()));
            System.out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(out));
            return 0;
        }
    }
}
