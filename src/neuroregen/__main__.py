from neuroregen.cli import main

main()
