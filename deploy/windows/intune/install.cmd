@echo off
rem Intune Win32 app, install command (run in the USER context: WSL distros belong to the user).
rem The package holds the app image built by build-runtime.ps1 (WslFleetAgent\) and this file.
setlocal
set "TARGET=%LOCALAPPDATA%\Programs\WslFleetAgent"
robocopy "%~dp0WslFleetAgent" "%TARGET%" /MIR /NFL /NDL /NJH /NJS /NP >nul
if %ERRORLEVEL% GEQ 8 exit /b 1
rem registers the per-user logon task (schtasks.exe /Create /XML ...), then starts it once now
"%TARGET%\WslFleetAgent.exe" install --launcher "%TARGET%\WslFleetAgent.exe" || exit /b 1
schtasks.exe /Run /TN "WSL Fleet Agent" >nul
exit /b 0
