from simpul.cli.main import main

main()
