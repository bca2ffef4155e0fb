"""Detection: rules an analyst writes (CEL over an event and its signals), keyword and regex banks,
velocity counters and entity labels, and the pipeline that runs them on every content item."""
