<?php
/** Mints the token for a set of claims and builds the URL that hands it to the backend. */
class Modules_PassengerPanel_Launch
{
    /**
     * @param array $claims [user, role, domains, open] from Modules_PassengerPanel_Access
     * @return string same-origin URL below the proxied backend path
     */
    public static function urlFor(array $claims)
    {
        list($user, $role, $domains, $open) = $claims;
        $token = Modules_PassengerPanel_Token::fromSecretFile(Modules_PassengerPanel_Config::secretPath())
            ->mint($user, $role, $domains, $open, Modules_PassengerPanel_Config::TOKEN_LIFETIME_SECONDS);
        $next = $open === null ? '/' : '/domains/' . rawurlencode($open);
        return Modules_PassengerPanel_Config::loginUrl($token, $next);
    }
}
