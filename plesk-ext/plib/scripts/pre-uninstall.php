<?php
// Before Plesk removes the extension: the root helper stops and removes the service and the panel
// nginx include. Uninstalling must go through even on a half-installed system, so failures only warn.
pm_Context::init('passenger-panel');

$plib = rtrim(pm_Context::getPlibDir(), '/');
require_once $plib . '/library/Config.php';

try {
    pm_ApiCli::callSbin('passenger-panel-service', ['uninstall']);
} catch (Exception $e) {
    fwrite(STDERR, 'Passenger Panel: cleanup was incomplete: ' . $e->getMessage() . "\n");
}
@unlink(Modules_PassengerPanel_Config::secretPath());
exit(0);
