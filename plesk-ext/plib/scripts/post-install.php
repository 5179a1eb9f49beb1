<?php
// After Plesk copied the extension: the token secret and the service unit here, then the root helper
// (sbin/passenger-panel-service install) copies the backend out, starts it under systemd and adds the
// panel nginx include. Any failure stops the install with a message Plesk shows to the admin.
pm_Context::init('passenger-panel');

$plib = rtrim(pm_Context::getPlibDir(), '/');
require_once $plib . '/library/Config.php';
require_once $plib . '/library/Installer.php';

use Modules_PassengerPanel_Config as Config;
use Modules_PassengerPanel_Installer as Installer;

try {
    Installer::ensureSecret(Config::secretPath(), 'psaadm');

    $unit = Installer::renderUnit((string)file_get_contents($plib . '/resources/passenger-panel.service'), [
        '@BACKEND_DIR@' => Config::BACKEND_DIR,
        '@NODE@' => Installer::findNode(),
        '@PORT@' => (string)Config::BACKEND_PORT,
        '@PROXY_PATH@' => Config::PROXY_PATH,
        '@SECRET@' => Config::secretPath(),
    ]);
    Installer::writeFile(rtrim(pm_Context::getVarDir(), '/') . '/' . Config::SERVICE_NAME, $unit, 0644);

    pm_ApiCli::callSbin('passenger-panel-service', ['install']);
    echo 'Passenger Panel backend is running on 127.0.0.1:' . Config::BACKEND_PORT . ".\n";
    exit(0);
} catch (Exception $e) {
    fwrite(STDERR, 'Passenger Panel install failed: ' . $e->getMessage() . "\n");
    exit(1);
}
