from voicecast.cli import main

main()
