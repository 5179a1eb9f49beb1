<?php
/**
 * Where the backend lives and how it is reached; one place so the controllers, the install
 * scripts and the nginx include agree.
 */
class Modules_PassengerPanel_Config
{
    /** Loopback port of the backend; the panel's nginx proxies PROXY_PATH to it. */
    const BACKEND_PORT = 8737;

    /** Path below the panel origin that nginx sends to the backend (prefix stripped). */
    const PROXY_PATH = '/modules/passenger-panel/panel';

    /** Where sbin/passenger-panel-service copies the backend bundle and the systemd unit runs it from (same path there). */
    const BACKEND_DIR = '/opt/passenger-panel';

    const SERVICE_NAME = 'passenger-panel.service';

    /** Tokens only carry the user from Plesk to the backend once; the backend refuses anything over 300 s. */
    const TOKEN_LIFETIME_SECONDS = 60;

    public static function secretPath()
    {
        return rtrim(pm_Context::getVarDir(), '/') . '/token.secret';
    }

    /** Address (same origin as the panel) that takes a token in a POST and starts a backend session. */
    public static function loginAction()
    {
        return self::PROXY_PATH . '/auth/plesk';
    }
}
