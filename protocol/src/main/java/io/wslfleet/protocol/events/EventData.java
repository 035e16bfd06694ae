package io.wslfleet.protocol.events;

/** The data of one event on the bus. Records only; an entity of a service is never a payload. */
public sealed interface EventData permits BuildEvent, AgentCommand, AgentEvent {
    /** The Kafka record key this event is published under. */
    String key();
}
