from oacinsight.cli import main

main()
