import Testing

/// Every ChannelTCP suite, run one test at a time: the 1000-connection test would otherwise
/// starve the timeout tests of CPU on a 2-core machine.
@Suite("ChannelTCP over loopback", .serialized)
enum ChannelTCPSuite {}
