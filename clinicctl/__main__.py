from clinicctl.console import main

main()
