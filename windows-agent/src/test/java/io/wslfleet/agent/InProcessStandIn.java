package io.wslfleet.agent;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.wslfleet.wslstandin.WslStandIn;

/**
 * The stand-in wsl.exe run in this JVM behind {@link WslDriver}: the same code, state and faults
 * ({@code StandInFaults}) as the process, without a JVM start per call, so that every case of a large matrix is
 * cheap. Each call runs on its own thread. A call that hangs is treated as the process would be at the end of its
 * timeout, at once (a hang is for ever, so waiting the timeout out would only cost time): its thread is interrupted,
 * the in-process kill of its process tree, and the driver sees a timed-out call and escalates as it does for a
 * process. With {@link #killAgentAtHang()} the agent dies there instead: {@link AgentKilled} unwinds the agent's
 * code (it is an {@link Error}, which no step catches), and every later call of this instance throws it too, so
 * nothing of the dead agent runs on (no {@code finally} reaches wsl.exe).
 */
final class InProcessStandIn implements WslDriver.Launcher {

    /** The agent process died at a hanging call. */
    static final class AgentKilled extends Error {
        AgentKilled(String call) {
            super("the agent was killed while wsl.exe " + call + " hung");
        }
    }

    private final Path state;
    private final AtomicBoolean killAtHang = new AtomicBoolean();
    private final AtomicBoolean killed = new AtomicBoolean();
    private final AtomicInteger hangs = new AtomicInteger();

    InProcessStandIn(Path state) {
        this.state = state;
    }

    /** From now on, a call that hangs kills the agent instead of timing out. */
    InProcessStandIn killAgentAtHang() {
        killAtHang.set(true);
        return this;
    }

    /** How many calls hung (and were ended). */
    int hangs() {
        return hangs.get();
    }

    @Override
    public WslDriver.Raw run(List<String> args, Duration timeout) throws WslException {
        if (killed.get()) {
            throw new AgentKilled(String.join(" ", args));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CountDownLatch settled = new CountDownLatch(1);
        AtomicBoolean hung = new AtomicBoolean();
        AtomicInteger exit = new AtomicInteger();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread call = new Thread(() -> {
            try {
                exit.set(WslStandIn.runInProcess(state, args, out, err, () -> {
                    hung.set(true);
                    settled.countDown();
                }));
            } catch (InterruptedException e) {
                // ended while it hung
            } catch (Exception e) {
                failure.set(e);
            } finally {
                settled.countDown();
            }
        }, "wsl.exe " + String.join(" ", args));
        call.setDaemon(true);
        call.start();
        try {
            boolean finished = settled.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished || hung.get()) {
                call.interrupt();
                call.join(10_000);
                hangs.incrementAndGet();
                if (killAtHang.get()) {
                    killed.set(true);
                    throw new AgentKilled(String.join(" ", args));
                }
                return null;
            }
            call.join(10_000);
        } catch (InterruptedException e) {
            call.interrupt();
            Thread.currentThread().interrupt();
            throw new WslException(WslException.Kind.TIMEOUT, null, "interrupted");
        }
        if (failure.get() != null) {
            throw new IllegalStateException("the stand-in failed on " + args, failure.get());
        }
        return new WslDriver.Raw(exit.get(), out.toByteArray(), err.toByteArray());
    }
}
