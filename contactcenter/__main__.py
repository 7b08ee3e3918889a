from contactcenter.cli import main

main()
