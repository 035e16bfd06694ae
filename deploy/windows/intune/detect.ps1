# Intune Win32 app, custom detection script (run as the signed-in user, 64-bit PowerShell).
# Detected when the agent's files are there AND its logon task is registered for this user.
$exe = Join-Path $env:LOCALAPPDATA "Programs\WslFleetAgent\WslFleetAgent.exe"
if (-not (Test-Path $exe)) { exit 1 }
$task = Get-ScheduledTask -TaskName "WSL Fleet Agent" -ErrorAction SilentlyContinue
if ($null -eq $task) { exit 1 }
Write-Output "WSL Fleet agent installed"
exit 0
