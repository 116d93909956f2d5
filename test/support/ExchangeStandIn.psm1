# A stand-in for Exchange's remote PowerShell, for tests only (never shipped).
#
# The gateway's script imports this module when its connection is
# { kind: 'module', path } and then runs exactly as against Exchange: this
# module's New-PSSession, Import-PSSession and Remove-PSSession take the place
# of PowerShell's (functions come before cmdlets), and Import-PSSession imports
# the requested cmdlets that the account's "RBAC" allows, as proxies in a
# temporary module, as implicit remoting does.
#
# The cmdlets have Exchange's names, parameters and parameter sets, and answer
# like a remote Exchange session: objects as deserialized over remoting (real
# DateTime and Guid values, enums and identities as objects whose text is the
# name, multi-valued properties as lists), cmdlet errors as non-terminating
# error records with Exchange's category, reason and error id, transport
# failures (quotas, a dropped connection) as terminating ones that break the
# session. The organization itself lives in the test process (FakeExchange over
# the simulator), reached over loopback TCP at 127.0.0.1:$env:EAS_STANDIN_PORT,
# so every pwsh process of a test sees one Exchange.
Set-StrictMode -Version 3.0

$script:Conn = $null
$script:Invariant = [Globalization.CultureInfo]::InvariantCulture
$script:Common = @('Verbose', 'Debug', 'ErrorAction', 'WarningAction', 'InformationAction', 'ErrorVariable', 'WarningVariable',
  'InformationVariable', 'OutVariable', 'OutBuffer', 'PipelineVariable', 'ProgressAction', 'WhatIf', 'Confirm')

# ------------------------------------------------------------------ wire: strings as base64 of UTF-16 code units
function ConvertTo-StandInWire($Value) {
  if ($null -eq $Value) { return $null }
  if ($Value -is [System.Management.Automation.SwitchParameter]) { return $Value.IsPresent }
  if ($Value -is [bool]) { return $Value }
  if ($Value -is [string]) {
    $chars = $Value.ToCharArray()
    $bytes = New-Object byte[] ($chars.Length * 2)
    [Buffer]::BlockCopy($chars, 0, $bytes, 0, $bytes.Length)
    return [Convert]::ToBase64String($bytes)
  }
  if ($Value -is [System.Collections.IDictionary]) {
    $o = [ordered]@{}
    foreach ($k in $Value.Keys) { $o[[string]$k] = ConvertTo-StandInWire $Value[$k] }
    return $o
  }
  if ($Value -is [System.Collections.IEnumerable]) {
    $list = New-Object 'System.Collections.Generic.List[object]'
    foreach ($x in $Value) { $list.Add((ConvertTo-StandInWire $x)) }
    return , $list.ToArray()
  }
  return ConvertTo-StandInWire ([string]$Value)
}

function ConvertFrom-StandInWire($Value) {
  if ($null -eq $Value) { return $null }
  if ($Value -is [string]) {
    $bytes = [Convert]::FromBase64String($Value)
    $chars = New-Object char[] ([int]($bytes.Length / 2))
    [Buffer]::BlockCopy($bytes, 0, $chars, 0, $bytes.Length)
    return [string]::new($chars)
  }
  if ($Value -is [System.Collections.IDictionary]) {
    $o = @{}
    foreach ($k in $Value.Keys) { $o[$k] = ConvertFrom-StandInWire $Value[$k] }
    return $o
  }
  if ($Value -is [System.Array]) {
    $list = New-Object 'System.Collections.Generic.List[object]'
    foreach ($x in $Value) { $list.Add((ConvertFrom-StandInWire $x)) }
    return , $list.ToArray()
  }
  return $Value
}

function Invoke-StandIn([System.Collections.IDictionary]$Message) {
  $c = $script:Conn
  $c.Writer.WriteLine((ConvertTo-Json -InputObject $Message -Depth 20 -Compress))
  $c.Writer.Flush()
  $line = $c.Reader.ReadLine()
  if ($null -eq $line) { throw [System.Management.Automation.Remoting.PSRemotingTransportException]::new('The stand-in lost its Exchange.') }
  ConvertFrom-StandInWire (ConvertFrom-Json -InputObject $line -AsHashtable)
}

# ------------------------------------------------------------------ errors as Exchange and remoting write them
function New-StandInError($Info, $Target, [switch]$Transport) {
  if ($Transport) { $ex = [System.Management.Automation.Remoting.PSRemotingTransportException]::new([string]$Info.message) }
  else { $ex = [System.Management.Automation.RemoteException]::new([string]$Info.message) }
  $category = [System.Management.Automation.ErrorCategory]::NotSpecified
  $parsed = $null
  if ([Enum]::TryParse([System.Management.Automation.ErrorCategory], [string]$Info.category, $true, [ref]$parsed)) { $category = $parsed }
  $record = [System.Management.Automation.ErrorRecord]::new($ex, [string]$Info.fullyQualifiedErrorId, $category, $Target)
  if ($Info.reason) { $record.CategoryInfo.Reason = [string]$Info.reason }
  $record
}

function Test-TransportError($Info) { [string]$Info.reason -eq 'PSRemotingTransportException' }
function Test-BreaksSession($Info) { [string]$Info.message -match 'WinRM client cannot complete|session state is Broken|connection .*(lost|closed)' }

# ------------------------------------------------------------------ objects as they arrive over remoting
function Add-Text($Object, [string]$TypeName, [string]$Text) {
  $Object.PSObject.TypeNames.Insert(0, 'Deserialized.' + $TypeName)
  Add-Member -InputObject $Object -MemberType NoteProperty -Name '__Text' -Value $Text
  Add-Member -InputObject $Object -MemberType ScriptMethod -Name ToString -Value { $this.__Text } -Force
  $Object
}

function New-Enum([string]$TypeName, [string]$Name, [string[]]$Names) {
  if ($null -eq $Name -or $Name -eq '') { return $null }
  $i = [Array]::IndexOf($Names, $Name)
  Add-Text ([psobject]::new([int]$i)) $TypeName $Name
}

function New-Id([string]$Text, [string]$Dn, [string]$Guid) {
  if ($null -eq $Text -or $Text -eq '') { return $null }
  $name = ($Text -split '[/\\]')[-1]
  Add-Text ([pscustomobject]@{ Name = $name; DistinguishedName = $Dn; ObjectGuid = (New-Guid2 $Guid); IsDeleted = $false; Rdn = 'CN=' + $name }) 'Microsoft.Exchange.Data.Directory.ADObjectId' $Text
}

function New-Guid2([string]$Text) {
  $g = [guid]::Empty
  if ($Text -and [guid]::TryParse($Text, [ref]$g)) { return $g }
  $null
}

function New-Smtp([string]$Address) {
  if ($null -eq $Address -or $Address -eq '') { return $null }
  $at = $Address.LastIndexOf('@')
  Add-Text ([pscustomobject]@{ Local = $Address.Substring(0, [Math]::Max($at, 0)); Domain = $Address.Substring($at + 1); Address = $Address; IsValidAddress = $at -gt 0 }) 'Microsoft.Exchange.Data.SmtpAddress' $Address
}

function New-Multi($Items, [scriptblock]$Make) {
  $list = New-Object System.Collections.ArrayList
  foreach ($x in @($Items)) { if ($null -ne $x) { if ($Make) { [void]$list.Add((& $Make $x)) } else { [void]$list.Add([string]$x) } } }
  , $list
}

# FirstSyncTime as remoting delivers it: a DateTime, in UTC for some records and local time for others (same instant).
function New-Date([string]$Iso, [int]$Index) {
  if ($null -eq $Iso -or $Iso -eq '') { return $null }
  $d = [DateTime]::Parse($Iso, $script:Invariant, [Globalization.DateTimeStyles]::RoundtripKind)
  if ($d.Kind -ne [DateTimeKind]::Utc) { $d = $d.ToUniversalTime() }
  if ($Index % 2 -eq 1) { $d = $d.ToLocalTime() }
  $d
}

$script:AccessLevels = @('Allow', 'Block', 'Quarantine')
$script:Characteristics = @('DeviceType', 'DeviceModel', 'DeviceOS', 'UserAgent', 'XMSWLHeader')

function ConvertTo-ExchangeObject([string]$Kind, $r, [int]$Index) {
  switch ($Kind) {
    'Device' {
      $o = [pscustomobject][ordered]@{
        FriendlyName = $r.FriendlyName; DeviceId = $r.DeviceId; DeviceImei = $null; DeviceMobileOperator = $null; DeviceOS = $r.DeviceOS
        DeviceOSLanguage = 'en-us'; DeviceTelephoneNumber = $null; DeviceType = $r.DeviceType; DeviceUserAgent = $r.DeviceUserAgent
        DeviceModel = $r.DeviceModel; FirstSyncTime = (New-Date $r.FirstSyncTime $Index); UserDisplayName = $r.UserDisplayName
        DeviceAccessState = (New-Enum 'Microsoft.Exchange.Data.Directory.SystemConfiguration.DeviceAccessState' $r.DeviceAccessState @('Unknown', 'Allowed', 'Blocked', 'Quarantined', 'DeviceDiscovery'))
        DeviceAccessStateReason = (New-Enum 'Microsoft.Exchange.Data.Directory.SystemConfiguration.DeviceAccessStateReason' 'Global' @('Unknown', 'Global', 'Individual', 'DeviceRule'))
        ClientType = (New-Enum 'Microsoft.Exchange.Data.Directory.MobileClientType' $r.ClientType @('EAS', 'MOWA', 'Outlook', 'RestApi'))
        IsManaged = $false; IsCompliant = $false; IsDisabled = $false
        Name = ($r.DeviceType + [char]0xA7 + $r.DeviceId); DistinguishedName = $r.DistinguishedName
        Identity = (New-Id $r.Identity $r.DistinguishedName $r.Guid); Guid = (New-Guid2 $r.Guid)
        WhenChanged = [DateTime]::new(2026, 11, 26, 8, 0, 0, [DateTimeKind]::Local); IsValid = $true; ObjectState = 'Unchanged'
      }
      $o.PSObject.TypeNames.Insert(0, 'Deserialized.Microsoft.Exchange.Data.Directory.Management.MobileDevice')
      return $o
    }
    'Stats' {
      $o = [pscustomobject][ordered]@{
        FirstSyncTime = $null; LastPolicyUpdateTime = $null; LastSyncAttemptTime = (New-Date $r.LastSuccessSync $Index)
        LastSuccessSync = (New-Date $r.LastSuccessSync $Index); DeviceType = $null; DeviceId = $r.DeviceId; DeviceUserAgent = $null
        DeviceWipeSentTime = (New-Date $r.DeviceWipeSentTime $Index); DeviceWipeRequestTime = (New-Date $r.DeviceWipeRequestTime $Index)
        DeviceWipeAckTime = (New-Date $r.DeviceWipeAckTime $Index); LastPingHeartbeat = $null; RecoveryPassword = '********'
        Status = (New-Enum 'Microsoft.Exchange.Data.Directory.SystemConfiguration.DeviceRemoteWipeStatus' $r.Status @('DeviceOk', 'DeviceBlocked', 'DeviceWipePending', 'DeviceWipeSucceeded', 'DeviceDiscovery'))
        Identity = (New-Id $r.Identity $null $null); IsValid = $true; ObjectState = 'Unchanged'
      }
      $o.PSObject.TypeNames.Insert(0, 'Deserialized.Microsoft.Exchange.Data.Mapi.MobileDeviceConfiguration')
      return $o
    }
    'CasMailbox' {
      $o = [pscustomobject][ordered]@{
        EmailAddresses = (New-Multi $r.EmailAddresses { param($x) Add-Text ([pscustomobject]@{ Prefix = ($x -split ':')[0]; AddressString = ($x -split ':', 2)[-1]; IsPrimaryAddress = $x.StartsWith('SMTP:') }) 'Microsoft.Exchange.Data.SmtpProxyAddress' $x })
        ActiveSyncAllowedDeviceIDs = (New-Multi $r.ActiveSyncAllowedDeviceIDs); ActiveSyncBlockedDeviceIDs = (New-Multi $r.ActiveSyncBlockedDeviceIDs)
        ActiveSyncMailboxPolicy = (New-Id 'Default' $null $null); ActiveSyncEnabled = [bool]$r.ActiveSyncEnabled
        HasActiveSyncDevicePartnership = $true; OWAEnabled = $true; DisplayName = $r.DisplayName; Name = $r.Name
        PrimarySmtpAddress = (New-Smtp $r.PrimarySmtpAddress); SamAccountName = $null; ServerName = 'mbx01'
        DistinguishedName = $r.DistinguishedName; Identity = (New-Id $r.Identity $r.DistinguishedName $r.Guid); Guid = (New-Guid2 $r.Guid)
        IsValid = $true; ObjectState = 'Unchanged'
      }
      $o.PSObject.TypeNames.Insert(0, 'Deserialized.Microsoft.Exchange.Data.Directory.Management.CASMailbox')
      return $o
    }
    'User' {
      $o = [pscustomobject][ordered]@{
        UserPrincipalName = $r.UserPrincipalName; RecipientType = (New-Enum 'Microsoft.Exchange.Data.Directory.Recipient.RecipientType' $r.RecipientType @('Invalid', 'User', 'UserMailbox'))
        DistinguishedName = $r.DistinguishedName; Identity = (New-Id $r.Identity $r.DistinguishedName $r.Guid); Guid = (New-Guid2 $r.Guid)
      }
      $o.PSObject.TypeNames.Insert(0, 'Deserialized.Microsoft.Exchange.Data.Directory.Management.User')
      return $o
    }
    'OrgSettings' {
      $o = [pscustomobject][ordered]@{
        DefaultAccessLevel = (New-Enum 'Microsoft.Exchange.Data.Directory.SystemConfiguration.DeviceAccessLevel' $r.DefaultAccessLevel $script:AccessLevels)
        UserMailInsert = $r.UserMailInsert; AllowAccessForUnSupportedPlatform = $false
        AdminMailRecipients = (New-Multi $r.AdminMailRecipients { param($x) New-Smtp $x }); OtaNotificationMailInsert = $null
        Name = $r.Name; Identity = (New-Id $r.Identity $null $null)
      }
      $o.PSObject.TypeNames.Insert(0, 'Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.ActiveSyncOrganizationSettings')
      return $o
    }
    'Rule' {
      $o = [pscustomobject][ordered]@{
        QueryString = $r.QueryString
        Characteristic = (New-Enum 'Microsoft.Exchange.Data.Directory.SystemConfiguration.DeviceAccessCharacteristic' $r.Characteristic $script:Characteristics)
        AccessLevel = (New-Enum 'Microsoft.Exchange.Data.Directory.SystemConfiguration.DeviceAccessLevel' $r.AccessLevel $script:AccessLevels)
        Name = $r.Name; Identity = (New-Id $r.Identity $null $null)
      }
      $o.PSObject.TypeNames.Insert(0, 'Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.ActiveSyncDeviceAccessRule')
      return $o
    }
    'Server' {
      $roles = [string]$r.ServerRole
      $value = 0
      if ($roles -match 'Mailbox') { $value += 2 }
      if ($roles -match 'ClientAccess') { $value += 4 }
      if ($roles -match 'Edge') { $value += 64 }
      $o = [pscustomobject][ordered]@{
        Name = $r.Name; Fqdn = $r.Fqdn; Domain = 'contoso.com'; Site = $r.Site
        ServerRole = (Add-Text ([psobject]::new($value)) 'Microsoft.Exchange.Data.Directory.SystemConfiguration.ServerRole' $roles)
        IsClientAccessServer = [bool]$r.IsClientAccessServer; IsMailboxServer = $roles -match 'Mailbox'; IsEdgeServer = $roles -match 'Edge'
        AdminDisplayVersion = $(if ($r.AdminDisplayVersion) { Add-Text ([pscustomobject]@{ Major = 15; Minor = 2 }) 'Microsoft.Exchange.Data.ServerVersion' $r.AdminDisplayVersion } else { $null })
        Identity = (New-Id $r.Name $null $null)
      }
      $o.PSObject.TypeNames.Insert(0, 'Deserialized.Microsoft.Exchange.Data.Directory.Management.ExchangeServer')
      return $o
    }
    default { return $r }
  }
}

# ------------------------------------------------------------------ one cmdlet call
function Get-StandInSession {
  $c = $script:Conn
  if ($null -eq $c -or $c.Session.State -ne 'Opened') {
    $info = @{ category = 'InvalidOperation'; reason = 'PSInvalidOperationException'; fullyQualifiedErrorId = 'InvalidSessionState'
      message = 'The session state is Broken. For more information, see the about_Remote_Troubleshooting Help topic.' }
    return $info
  }
  $null
}

function Write-Noise {
  Write-Host "`e[33;1mWARNING: Proxy creation has been skipped for the following command: 'Get-Help'`e[0m"
  [Console]::Out.WriteLine('EASF1 0123456789abcdef0123456789abcdef 2 {}')
  [Console]::Out.WriteLine('{"t":"end","id":1,"ok":true,"count":0,"warnings":[]}')
  [Console]::Out.Write('Processing data for a remote command failed... retrying ')
  [Console]::Error.WriteLine('WARNING: something the remote session said on stderr')
  Write-Information 'information stream' -InformationAction Continue
  Write-Warning "The command completed successfully but no settings of 'contoso.com/Users/Kim Akers' have been modified."
}

function Invoke-ExchangeCmdlet([string]$Op, $Bound, $Cmdlet, [string]$Kind) {
  $broken = Get-StandInSession
  if ($null -ne $broken) { $Cmdlet.ThrowTerminatingError((New-StandInError $broken $Op)) }
  $splat = [ordered]@{}
  foreach ($k in $Bound.Keys) {
    if ($script:Common -contains $k) { continue }
    $splat[$k] = ConvertTo-StandInWire $Bound[$k]
  }
  if ($Bound.ContainsKey('Confirm')) { $splat['Confirm'] = [bool]$Bound['Confirm'] }
  $answer = Invoke-StandIn ([ordered]@{ t = 'call'; op = $Op; splat = $splat })
  $fault = $answer['fault']
  $result = $answer['result']
  $kindOfFault = if ($null -ne $fault) { [string]$fault['kind'] } else { '' }
  switch ($kindOfFault) {
    'hang' { Start-Sleep -Seconds 3600 }
    'die' { [System.Diagnostics.Process]::GetCurrentProcess().Kill() }
    'delay' { Start-Sleep -Milliseconds ([int]$fault['delayMs']) }
    'noise' { Write-Noise }
    'brokenSession' {
      $script:Conn.Session.State = 'Broken'
      $Cmdlet.ThrowTerminatingError((New-StandInError @{ category = 'OperationStopped'; reason = 'PSRemotingTransportException'; fullyQualifiedErrorId = 'JobFailure'
        message = "Processing data from remote server $($script:Conn.Server) failed with the following error message: The session state is Broken. For more information, see the about_Remote_Troubleshooting Help topic." } $Op -Transport))
    }
  }
  if (-not $result['ok']) {
    $info = $result['error']
    if (Test-TransportError $info) {
      if (Test-BreaksSession $info) { $script:Conn.Session.State = 'Broken' }
      $Cmdlet.ThrowTerminatingError((New-StandInError $info $Op -Transport))
    }
    $Cmdlet.WriteError((New-StandInError $info $Bound['Identity']))
    return
  }
  $i = 0
  foreach ($r in @($result['records'])) {
    if ($null -eq $r) { continue }
    $Cmdlet.WriteObject((ConvertTo-ExchangeObject $Kind $r $i))
    $i++
  }
  foreach ($w in @($result['warnings'])) { if ($null -ne $w) { $Cmdlet.WriteWarning([string]$w) } }
  if ($kindOfFault -eq 'dieAfterChunk') { [System.Diagnostics.Process]::GetCurrentProcess().Kill() }
  if ($kindOfFault -eq 'noise') { Write-Noise }
}

# ------------------------------------------------------------------ Exchange's cmdlets (reached only through Import-PSSession)
function Get-MobileDevice {
  [CmdletBinding(DefaultParameterSetName = 'Identity')]
  param(
    [Parameter(ParameterSetName = 'Identity', Position = 0, ValueFromPipeline = $true)] [object]$Identity,
    [Parameter(ParameterSetName = 'Mailbox', Mandatory = $true)] [object]$Mailbox,
    [switch]$ActiveSync, [switch]$OWAforDevices, [switch]$RestApi, [switch]$UniversalOutlook,
    [string]$DomainController, [string]$Filter, [Parameter(ParameterSetName = 'Identity')] [object]$OrganizationalUnit,
    [object]$ResultSize, [string]$SortBy, [switch]$Monitoring
  )
  Invoke-ExchangeCmdlet 'Get-MobileDevice' $PSBoundParameters $PSCmdlet 'Device'
}

function Get-ActiveSyncDevice {
  [CmdletBinding(DefaultParameterSetName = 'Identity')]
  param(
    [Parameter(ParameterSetName = 'Identity', Position = 0, ValueFromPipeline = $true)] [object]$Identity,
    [Parameter(ParameterSetName = 'Mailbox', Mandatory = $true)] [object]$Mailbox,
    [string]$DomainController, [string]$Filter, [Parameter(ParameterSetName = 'Identity')] [object]$OrganizationalUnit,
    [object]$ResultSize, [string]$SortBy
  )
  Invoke-ExchangeCmdlet 'Get-ActiveSyncDevice' $PSBoundParameters $PSCmdlet 'Device'
}

function Get-MobileDeviceStatistics {
  [CmdletBinding(DefaultParameterSetName = 'Identity')]
  param(
    [Parameter(ParameterSetName = 'Identity', Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [object]$Identity,
    [Parameter(ParameterSetName = 'Mailbox', Mandatory = $true)] [object]$Mailbox,
    [switch]$ActiveSync, [string]$DomainController, [switch]$GetMailboxLog, [object[]]$NotificationEmailAddresses,
    [switch]$OWAforDevices, [switch]$ShowRecoveryPassword
  )
  Invoke-ExchangeCmdlet 'Get-MobileDeviceStatistics' $PSBoundParameters $PSCmdlet 'Stats'
}

function Get-ActiveSyncDeviceStatistics {
  [CmdletBinding(DefaultParameterSetName = 'Identity')]
  param(
    [Parameter(ParameterSetName = 'Identity', Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [object]$Identity,
    [Parameter(ParameterSetName = 'Mailbox', Mandatory = $true)] [object]$Mailbox,
    [string]$DomainController, [switch]$GetMailboxLog, [object[]]$NotificationEmailAddresses, [switch]$ShowRecoveryPassword
  )
  Invoke-ExchangeCmdlet 'Get-ActiveSyncDeviceStatistics' $PSBoundParameters $PSCmdlet 'Stats'
}

function Get-CASMailbox {
  [CmdletBinding(DefaultParameterSetName = 'Identity')]
  param(
    [Parameter(ParameterSetName = 'Identity', Position = 0, ValueFromPipeline = $true)] [object]$Identity,
    [Parameter(ParameterSetName = 'AnrSet', Mandatory = $true)] [string]$Anr,
    [switch]$ActiveSyncDebugLogging, [object]$Credential, [string]$DomainController, [string]$Filter, [switch]$IgnoreDefaultScope,
    [object]$OrganizationalUnit, [switch]$ProtocolSettings, [switch]$ReadFromDomainController, [switch]$RecalculateHasActiveSyncDevicePartnership,
    [object]$ResultSize, [string]$SortBy
  )
  Invoke-ExchangeCmdlet 'Get-CasMailbox' $PSBoundParameters $PSCmdlet 'CasMailbox'
}

# A multi-valued parameter: a list replaces the whole value; @{Add=…; Remove=…} changes it.
function ConvertTo-MultiValue($Value, [string]$Name) {
  if ($Value -isnot [System.Collections.IDictionary]) { return $Value }
  $change = [ordered]@{}
  foreach ($k in $Value.Keys) {
    $key = [string]$k
    if (@('Add', 'Remove') -notcontains $key) {
      throw "Cannot convert the `"System.Collections.Hashtable`" value of type `"System.Collections.Hashtable`" to type `"Microsoft.Exchange.Data.MultiValuedProperty``1[System.String]`" for parameter '$Name': only Add and Remove may be used, not '$key'."
    }
    $change[$key.Substring(0, 1).ToUpperInvariant() + $key.Substring(1).ToLowerInvariant()] = [object[]]@(@($Value[$k]) | ForEach-Object { [string]$_ })
  }
  $change
}

function Set-CASMailbox {
  [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium', DefaultParameterSetName = 'Identity')]
  param(
    [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [object]$Identity,
    [object]$ActiveSyncAllowedDeviceIDs, [object]$ActiveSyncBlockedDeviceIDs, [bool]$ActiveSyncEnabled, [object]$ActiveSyncMailboxPolicy,
    [bool]$ActiveSyncDebugLogging, [string]$DomainController, [bool]$OWAEnabled, [bool]$PopEnabled, [bool]$ImapEnabled, [bool]$MAPIEnabled,
    [string]$DisplayName, [object]$EmailAddresses, [switch]$IgnoreDefaultScope
  )
  foreach ($p in @('ActiveSyncAllowedDeviceIDs', 'ActiveSyncBlockedDeviceIDs')) {
    if ($PSBoundParameters.ContainsKey($p)) { $PSBoundParameters[$p] = ConvertTo-MultiValue $PSBoundParameters[$p] $p }
  }
  if ($PSCmdlet.ShouldProcess([string]$Identity, 'Set CAS Mailbox')) {
    Invoke-ExchangeCmdlet 'Set-CasMailbox' $PSBoundParameters $PSCmdlet ''
  }
}

function Get-User {
  [CmdletBinding(DefaultParameterSetName = 'Identity')]
  param(
    [Parameter(ParameterSetName = 'Identity', Position = 0, ValueFromPipeline = $true)] [object]$Identity,
    [Parameter(ParameterSetName = 'AnrSet', Mandatory = $true)] [string]$Anr,
    [string]$DomainController, [string]$Filter, [switch]$IgnoreDefaultScope, [object]$OrganizationalUnit, [switch]$ReadFromDomainController,
    [object[]]$RecipientTypeDetails, [object]$ResultSize, [string]$SortBy
  )
  Invoke-ExchangeCmdlet 'Get-User' $PSBoundParameters $PSCmdlet 'User'
}

function Get-Recipient {
  [CmdletBinding(DefaultParameterSetName = 'Identity')]
  param(
    [Parameter(ParameterSetName = 'Identity', Position = 0, ValueFromPipeline = $true)] [object]$Identity,
    [Parameter(ParameterSetName = 'AnrSet', Mandatory = $true)] [string]$Anr,
    [string]$DomainController, [string]$Filter, [object[]]$RecipientType, [object[]]$RecipientTypeDetails, [object]$ResultSize, [string]$SortBy
  )
  Invoke-ExchangeCmdlet 'Get-Recipient' $PSBoundParameters $PSCmdlet 'User'
}

function Get-ActiveSyncOrganizationSettings {
  [CmdletBinding()]
  param([Parameter(Position = 0, ValueFromPipeline = $true)] [object]$Identity, [string]$DomainController)
  Invoke-ExchangeCmdlet 'Get-ActiveSyncOrganizationSettings' $PSBoundParameters $PSCmdlet 'OrgSettings'
}

function Set-ActiveSyncOrganizationSettings {
  [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
  param(
    [Parameter(Position = 0, ValueFromPipeline = $true)] [object]$Identity,
    [object]$AdminMailRecipients, [bool]$AllowAccessForUnSupportedPlatform,
    [ValidateSet('Allow', 'Block', 'Quarantine')] [string]$DefaultAccessLevel, [string]$DomainController,
    [string]$OtaNotificationMailInsert, [ValidateLength(0, 256)] [AllowNull()] [string]$UserMailInsert
  )
  if ($PSCmdlet.ShouldProcess('Mobile Mailbox Settings', 'Set ActiveSync organization settings')) {
    Invoke-ExchangeCmdlet 'Set-ActiveSyncOrganizationSettings' $PSBoundParameters $PSCmdlet ''
  }
}

function Get-ActiveSyncDeviceAccessRule {
  [CmdletBinding()]
  param([Parameter(Position = 0, ValueFromPipeline = $true)] [object]$Identity, [string]$DomainController)
  Invoke-ExchangeCmdlet 'Get-ActiveSyncDeviceAccessRule' $PSBoundParameters $PSCmdlet 'Rule'
}

function New-ActiveSyncDeviceAccessRule {
  [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
  param(
    [Parameter(Mandatory = $true)] [ValidateSet('DeviceType', 'DeviceModel', 'DeviceOS', 'UserAgent', 'XMSWLHeader')] [string]$Characteristic,
    [Parameter(Mandatory = $true)] [AllowEmptyString()] [string]$QueryString,
    [Parameter(Mandatory = $true)] [ValidateSet('Allow', 'Block', 'Quarantine')] [string]$AccessLevel,
    [string]$DomainController
  )
  if ($PSCmdlet.ShouldProcess($QueryString, 'New ActiveSync device access rule')) {
    Invoke-ExchangeCmdlet 'New-ActiveSyncDeviceAccessRule' $PSBoundParameters $PSCmdlet ''
  }
}

function Set-ActiveSyncDeviceAccessRule {
  [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
  param(
    [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [object]$Identity,
    [ValidateSet('Allow', 'Block', 'Quarantine')] [string]$AccessLevel, [string]$DomainController
  )
  if ($PSCmdlet.ShouldProcess([string]$Identity, 'Set ActiveSync device access rule')) {
    Invoke-ExchangeCmdlet 'Set-ActiveSyncDeviceAccessRule' $PSBoundParameters $PSCmdlet ''
  }
}

function Remove-ActiveSyncDeviceAccessRule {
  [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
  param([Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [object]$Identity, [string]$DomainController)
  # ConfirmImpact High: without -Confirm:$false this prompts, which a non-interactive pwsh refuses
  if ($PSCmdlet.ShouldProcess([string]$Identity, 'Remove ActiveSync device access rule')) {
    Invoke-ExchangeCmdlet 'Remove-ActiveSyncDeviceAccessRule' $PSBoundParameters $PSCmdlet ''
  }
}

function Get-ExchangeServer {
  [CmdletBinding()]
  param([Parameter(Position = 0, ValueFromPipeline = $true)] [object]$Identity, [string]$Domain, [switch]$Status)
  Invoke-ExchangeCmdlet 'Get-ExchangeServer' $PSBoundParameters $PSCmdlet 'Server'
}

function Set-ADServerSettings {
  [CmdletBinding(DefaultParameterSetName = 'SingleSetting')]
  param(
    [Parameter(ParameterSetName = 'SingleSetting')] [bool]$ViewEntireForest,
    [Parameter(ParameterSetName = 'SingleSetting')] [string]$RecipientViewRoot,
    [Parameter(ParameterSetName = 'SingleSetting')] [string]$ConfigurationDomainController,
    [Parameter(ParameterSetName = 'SingleSetting')] [string]$PreferredGlobalCatalog,
    [Parameter(ParameterSetName = 'Instance', Mandatory = $true)] [object]$RunspaceServerSettings,
    [Parameter(ParameterSetName = 'Clear', Mandatory = $true)] [switch]$ResetSettings
  )
  Invoke-ExchangeCmdlet 'Set-ADServerSettings' $PSBoundParameters $PSCmdlet ''
}

function Clear-MobileDevice {
  [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
  param([Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [object]$Identity, [switch]$AccountOnly, [switch]$Cancel,
    [object[]]$NotificationEmailAddresses, [string]$DomainController)
  if ($PSCmdlet.ShouldProcess([string]$Identity, 'Wipe mobile device')) { Invoke-ExchangeCmdlet 'Clear-MobileDevice' $PSBoundParameters $PSCmdlet '' }
}

function Remove-MobileDevice {
  [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
  param([Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [object]$Identity, [string]$DomainController)
  if ($PSCmdlet.ShouldProcess([string]$Identity, 'Remove mobile device')) { Invoke-ExchangeCmdlet 'Remove-MobileDevice' $PSBoundParameters $PSCmdlet '' }
}

function Clear-ActiveSyncDevice {
  [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
  param([Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [object]$Identity, [switch]$Cancel,
    [object[]]$NotificationEmailAddresses, [string]$DomainController)
  if ($PSCmdlet.ShouldProcess([string]$Identity, 'Wipe mobile device')) { Invoke-ExchangeCmdlet 'Clear-ActiveSyncDevice' $PSBoundParameters $PSCmdlet '' }
}

function Remove-ActiveSyncDevice {
  [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
  param([Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [object]$Identity, [string]$DomainController)
  if ($PSCmdlet.ShouldProcess([string]$Identity, 'Remove mobile device')) { Invoke-ExchangeCmdlet 'Remove-ActiveSyncDevice' $PSBoundParameters $PSCmdlet '' }
}

# Exchange's own spelling of each cmdlet (RBAC answers with the names it knows, in any case).
$script:Cmdlets = @{}
foreach ($name in @('Get-MobileDevice', 'Get-ActiveSyncDevice', 'Get-MobileDeviceStatistics', 'Get-CASMailbox', 'Set-CASMailbox', 'Get-User', 'Get-Recipient',
    'Get-ActiveSyncOrganizationSettings', 'Set-ActiveSyncOrganizationSettings', 'Get-ActiveSyncDeviceAccessRule', 'New-ActiveSyncDeviceAccessRule',
    'Set-ActiveSyncDeviceAccessRule', 'Remove-ActiveSyncDeviceAccessRule', 'Get-ExchangeServer', 'Set-ADServerSettings', 'Clear-MobileDevice', 'Remove-MobileDevice',
    'Get-ActiveSyncDeviceStatistics', 'Clear-ActiveSyncDevice', 'Remove-ActiveSyncDevice')) {
  $script:Cmdlets[$name] = (Get-Item -Path ('function:' + $name)).ScriptBlock
}

# ------------------------------------------------------------------ PowerShell's remoting cmdlets, standing in
function New-PSSession {
  [CmdletBinding(DefaultParameterSetName = 'Uri')]
  param(
    [Parameter(ParameterSetName = 'Uri', Mandatory = $true, Position = 0)] [Alias('URI', 'CU')] [uri[]]$ConnectionUri,
    [Parameter(ParameterSetName = 'Uri')] [string]$ConfigurationName,
    [Parameter(ParameterSetName = 'Uri')] [System.Management.Automation.Runspaces.AuthenticationMechanism]$Authentication = 'Default',
    [Parameter(ParameterSetName = 'Uri')] [pscredential]$Credential,
    [Parameter(ParameterSetName = 'Uri')] [switch]$AllowRedirection,
    [Parameter(ParameterSetName = 'Uri')] [System.Management.Automation.Remoting.PSSessionOption]$SessionOption,
    [Parameter(ParameterSetName = 'Uri')] [string]$CertificateThumbprint,
    [Parameter(ParameterSetName = 'Uri')] [string[]]$Name,
    [Parameter(ParameterSetName = 'Uri')] [int]$ThrottleLimit
  )
  $uri = $ConnectionUri[0]
  $target = $uri.Host
  if ($ConfigurationName -ne 'Microsoft.Exchange') {
    $PSCmdlet.WriteError((New-StandInError @{ category = 'OpenError'; reason = 'PSRemotingTransportException'; fullyQualifiedErrorId = 'InvalidResourceUri,PSSessionOpenFailed'
      message = "Connecting to remote server $target failed with the following error message : The WS-Management service cannot process the request. The resource URI is not valid." } $target -Transport))
    return
  }
  $port = 0
  if (-not [int]::TryParse([string]$env:EAS_STANDIN_PORT, [ref]$port)) { throw 'ExchangeStandIn: EAS_STANDIN_PORT (the test host) is not set.' }
  $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port)
  $client.NoDelay = $true
  $utf8 = [System.Text.UTF8Encoding]::new($false)
  $stream = $client.GetStream()
  $writer = [System.IO.StreamWriter]::new($stream, $utf8)
  $writer.NewLine = "`n"
  $session = [pscustomobject]@{ PSTypeName = 'ExchangeStandIn.PSSession'; Id = 1; Name = 'WinRM1'; ComputerName = $target; ComputerType = 'RemoteMachine'
    State = 'Opening'; ConfigurationName = $ConfigurationName; Availability = 'None' }
  $script:Conn = @{ Client = $client; Reader = [System.IO.StreamReader]::new($stream, $utf8); Writer = $writer; Session = $session; Server = $target; Cmdlets = @() }

  $argv = [Environment]::GetCommandLineArgs()
  $encoded = [Array]::IndexOf($argv, '-EncodedCommand')
  $scriptText = ''
  if ($encoded -ge 0 -and $encoded + 1 -lt $argv.Length) { $scriptText = [Text.Encoding]::Unicode.GetString([Convert]::FromBase64String($argv[$encoded + 1])) }
  $request = [ordered]@{ server = $target; authentication = [string]$Authentication; script = $scriptText; argv = $argv; pid = [string]$PID; envHasPassword = $false }
  if ($null -ne $Credential) {
    $password = $Credential.GetNetworkCredential().Password
    $request['username'] = $Credential.UserName
    $request['password'] = $password
    foreach ($v in [Environment]::GetEnvironmentVariables().Values) { if ($password -and ([string]$v).Contains($password)) { $request['envHasPassword'] = $true } }
  }
  $wire = ConvertTo-StandInWire $request
  $wire['envHasPassword'] = [bool]$request['envHasPassword']
  $answer = Invoke-StandIn ([ordered]@{ t = 'connect'; req = $wire })
  $result = $answer['result']
  if (-not $result['ok']) {
    $client.Dispose()
    $script:Conn = $null
    $PSCmdlet.WriteError((New-StandInError $result['error'] $target -Transport))
    return
  }
  $session.State = 'Opened'
  $session.Availability = 'Available'
  $script:Conn.Cmdlets = @($result['cmdlets'])
  $session
}

function Import-PSSession {
  [CmdletBinding()]
  param(
    [Parameter(Mandatory = $true, Position = 0)] [ValidateNotNull()] [object]$Session,
    [Parameter(Position = 1)] [Alias('Name')] [string[]]$CommandName,
    [Parameter(Position = 2)] [string[]]$FormatTypeName,
    [Alias('Type')] [System.Management.Automation.CommandTypes]$CommandType,
    [string]$Prefix, [switch]$DisableNameChecking, [switch]$AllowClobber, [object[]]$ArgumentList, [string[]]$Module
  )
  $c = $script:Conn
  if ($null -eq $c -or -not [object]::ReferenceEquals($c.Session, $Session) -or $Session.State -ne 'Opened') {
    throw [System.Management.Automation.PSInvalidOperationException]::new('The session state is not Opened.')
  }
  # what RBAC lets the account run, narrowed to what was asked for
  $table = @{}
  foreach ($granted in $c.Cmdlets) {
    $name = @($script:Cmdlets.Keys | Where-Object { $_ -eq $granted })
    if ($name.Count -eq 0) { continue }
    if ($CommandName -and -not @($CommandName | Where-Object { $name[0] -like $_ }).Count) { continue }
    $table[$name[0]] = $script:Cmdlets[$name[0]]
  }
  $moduleName = 'tmp_' + [IO.Path]::GetRandomFileName().Replace('.', '')
  $proxies = New-Module -Name $moduleName -ArgumentList $table -ScriptBlock {
    param($Table)
    foreach ($k in $Table.Keys) { Set-Item -Path ('function:script:' + $k) -Value $Table[$k] }
    Export-ModuleMember -Function @($Table.Keys)
  }
  Import-Module -ModuleInfo $proxies -Global -DisableNameChecking -Force -PassThru
}

function Remove-PSSession {
  [CmdletBinding()]
  param([Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)] [object[]]$Session)
  process {
    $c = $script:Conn
    if ($null -eq $c) { return }
    try { $null = Invoke-StandIn ([ordered]@{ t = 'remove' }) } catch { }
    $c.Client.Dispose()
    $c.Session.State = 'Closed'
    $script:Conn = $null
  }
}

Export-ModuleMember -Function New-PSSession, Import-PSSession, Remove-PSSession
