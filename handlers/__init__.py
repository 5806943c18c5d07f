"""HTTP edges: verify, dedupe, parse, enqueue, acknowledge."""
