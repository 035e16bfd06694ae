package io.wslfleet.orchestrator.machine;

/**
 * Where a machine stands in the fleet. Only an ACCEPTED machine's events change fleet state, only it is targeted by
 * rollouts and sent commands. PENDING waits for an operator (or an enrolment token); REJECTED and REVOKED are refused
 * (NOT_ADMITTED) until an operator decides otherwise; DECOMMISSIONED is gone from the fleet, kept for its history:
 * a later registration under its id starts over as a new PENDING machine.
 */
public enum Enrolment {
    PENDING, ACCEPTED, REJECTED, REVOKED, DECOMMISSIONED
}
