from clinicctl.cli import main

main()
