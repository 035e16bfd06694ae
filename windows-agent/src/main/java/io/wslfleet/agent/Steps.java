package io.wslfleet.agent;

/** Where a running command reports its steps (sent as progress events). */
interface Steps {
    void step(String step, long done, long total, String message);

    default void step(String step, String message) {
        step(step, 0, 0, message);
    }
}
