// Loopback ports for tests that start servers.
#pragma once

namespace testing {

// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
int free_port();

// Whether something accepts connections on 127.0.0.1:port.
bool listening(int port);

// Waits up to `seconds` for 127.0.0.1:port to accept connections.
bool wait_listening(int port, double seconds);

}  // namespace testing
