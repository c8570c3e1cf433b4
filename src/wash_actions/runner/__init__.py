"""The job around the step: inputs and outputs, the network, workspace paths, git, extras installed on first use."""
