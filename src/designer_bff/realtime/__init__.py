"""Real-time events: an event bus the services publish to, and the Socket.IO server that
delivers them to each user's room (across processes through Redis when configured)."""

from designer_bff.realtime.events import (
    EventBus,
    EventRelay,
    RedisEmitterEventBus,
    SocketIOEventBus,
    user_room,
)

__all__ = ["EventBus", "EventRelay", "RedisEmitterEventBus", "SocketIOEventBus", "user_room"]
