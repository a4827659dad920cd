"""`python -m voicecast.simulator`: the carrier simulator without loading the Voicecast app."""

from voicecast.simulator.cli import simulator_command

simulator_command(prog_name="python -m voicecast.simulator")
