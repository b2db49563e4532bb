from archcost.cli import main

main()
