@echo off
rem Intune Win32 app, uninstall command (USER context). Removes the logon task and the program files; the state
rem under %LOCALAPPDATA%\WslFleet (results, logs, backups) stays for support; delete it by hand if wanted.
setlocal
set "TARGET=%LOCALAPPDATA%\Programs\WslFleetAgent"
schtasks.exe /End /TN "WSL Fleet Agent" >nul 2>&1
"%TARGET%\WslFleetAgent.exe" uninstall
rmdir /s /q "%TARGET%"
exit /b 0
